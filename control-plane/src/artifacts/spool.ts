import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { HoldfastError, SAFE_ID } from "@holdfast/shared";

// Run ids become file names: only ids' own alphabet, so no path can be smuggled in.
export function assertRunId(runId: string): void {
  if (!SAFE_ID.test(runId)) throw new HoldfastError("RUN_NOT_FOUND", "No such run");
}

/** Bytes received so far for a run; grows with each upload until it has the artifact's size. */
export function partialPath(spoolDir: string, runId: string): string {
  assertRunId(runId);
  return join(spoolDir, `${runId}.partial`);
}

/** The verified artifact, waiting for its deliveries. */
export function spooledPath(spoolDir: string, runId: string): string {
  assertRunId(runId);
  return join(spoolDir, `${runId}.artifact`);
}

export async function sizeOrZero(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw err;
  }
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), hash);
  return hash.digest("hex");
}

/** Makes a rename or unlink in `dir` durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  await handle.sync().finally(() => handle.close());
}
