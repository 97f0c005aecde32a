import fs from "node:fs";

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
export { SAFE_ID } from "@holdfast/shared";
