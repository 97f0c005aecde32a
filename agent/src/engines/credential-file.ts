import fs from "node:fs";
import path from "node:path";

export interface CredentialFile {
  path: string;
  /** Removes the file and its directory; safe to call more than once. */
  remove(): Promise<void>;
}

/**
 * Writes `text` to a 0600 file opened with O_EXCL inside a fresh mkdtemp dir (0700) under `tmpDir`:
 * no other user can read it or plant a symlink, so a password handed to a tool this way is never in
 * its argv or environment. PGPASSFILE, MySQL's `--defaults-extra-file` and MongoDB's `--config`.
 */
export async function writeCredentialFile(tmpDir: string, dirPrefix: string, fileName: string, text: string): Promise<CredentialFile> {
  const dir = await fs.promises.mkdtemp(path.join(tmpDir, dirPrefix));
  const remove = () => fs.promises.rm(dir, { recursive: true, force: true });
  try {
    await fs.promises.chmod(dir, 0o700);
    const file = path.join(dir, fileName);
    const handle = await fs.promises.open(file, "wx", 0o600);
    try {
      await handle.writeFile(text, "utf8");
    } finally {
      await handle.close();
    }
    return { path: file, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}
