import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { HoldfastError } from "@holdfast/shared";
import type { Env } from "../env.js";

function decode(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), "base64");
  if (key.length !== 32 || !/^[A-Za-z0-9+/]{43}=$/.test(text.trim())) {
    throw new HoldfastError("VALIDATION_FAILED", `${where} must hold the base64 of 32 bytes`);
  }
  return key;
}

/**
 * The key that seals destination credentials: HOLDFAST_MASTER_KEY when set, else the key file,
 * created (32 random bytes, base64, mode 0600) on first start. Losing it loses the stored
 * credentials, so the file sits beside the database it belongs to. A key file others may read is
 * refused, as ssh refuses such a private key.
 */
export async function loadMasterKey(env: Pick<Env, "masterKey" | "masterKeyFile">): Promise<Buffer> {
  if (env.masterKey !== undefined) return decode(env.masterKey, "HOLDFAST_MASTER_KEY");
  const file = env.masterKeyFile;
  try {
    return await readKeyFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  // Written whole under a temp name, then linked into place: a crash never leaves half a key, and of
  // two processes starting together the second finds the first one's key (link fails on EEXIST).
  const temp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temp, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
  try {
    await link(temp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    await rm(temp, { force: true });
  }
  return readKeyFile(file);
}

async function readKeyFile(file: string): Promise<Buffer> {
  const info = await stat(file);
  if ((info.mode & 0o077) !== 0) {
    throw new HoldfastError("VALIDATION_FAILED", `${file} may be read by other users (mode ${(info.mode & 0o777).toString(8)}); run chmod 600 on it`);
  }
  return decode(await readFile(file, "utf8"), file);
}
