import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { PG_ADMIN_URL } from "./postgres.js";

export async function sha256File(file: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(file), hash);
  return hash.digest("hex");
}

/** Restores a delivered plain-SQL gzip artifact with the stock tools, as an operator would by hand. */
export async function restorePlainGzip(file: string, database: string): Promise<void> {
  const url = new URL(PG_ADMIN_URL);
  const psql = spawn("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", url.hostname, "-p", url.port || "5432", "-U", url.username || "postgres", "-d", database], {
    stdio: ["pipe", "ignore", "pipe"],
  });
  let stderr = "";
  psql.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => psql.on("close", resolve));
  await pipeline(createReadStream(file), createGunzip(), psql.stdin);
  const code = await exited;
  if (code !== 0) throw new Error(`psql restore failed (${code}): ${stderr}`);
}
