import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/**
 * Creates `dir` (and parents) with mode 0700, or checks an existing one: a real directory (not a
 * symlink someone planted in a shared temp dir), owned by us, and tightened to 0700.
 */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (!st.isDirectory() || st.isSymbolicLink()) throw new Error(`${dir} is not a directory`);
  if (typeof process.getuid === "function" && st.uid !== process.getuid()) {
    throw new Error(`${dir} is owned by uid ${st.uid}, not by this agent`);
  }
  if ((st.mode & 0o777) !== 0o700) fs.chmodSync(dir, 0o700);
}

/** fsyncs a directory so a rename inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.promises.open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Run ids become path segments: only ids' own alphabet is allowed, so `../x` cannot escape staging. */
/**
 * Whether `dir` takes a real write: a probe file created (O_EXCL, 0600), written, fsynced and removed.
 * access(2) alone says yes on a read-only mount or a full disk.
 */
export async function probeWritable(dir: string): Promise<boolean> {
  const probe = path.join(dir, `.probe-${randomUUID()}`);
  try {
    const handle = await fs.promises.open(probe, "wx", 0o600);
    try {
      await handle.writeFile("holdfast write probe\n");
      await handle.sync();
    } finally {
      await handle.close();
    }
    return true;
  } catch {
    return false;
  } finally {
    await fs.promises.rm(probe, { force: true }).catch(() => {});
  }
}

export { SAFE_ID } from "@holdfast/shared/protocol";
