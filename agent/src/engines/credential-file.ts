import fs from "node:fs";
import path from "node:path";
import { HoldfastError } from "@holdfast/shared/protocol";
import { resolvePassword, type Credentials } from "./credentials.js";

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

/** How one family of tools takes its password from a file. */
export interface CredentialFormat<NoFile extends null = never> {
  dirPrefix: string;
  fileName: string;
  /** The file's text, or `NoFile` (null) when there is no password and the tool needs no file; throws when the password cannot be written there. */
  text(password: string | undefined): string | NoFile;
  /** The password as the file spells it (escaped), which a tool might echo back. */
  escaped(password: string): string;
}

/** A run's credentials, handed to a tool in a private file, and what to mask in what it prints. */
export interface ToolCredentials<NoFile extends null = never> {
  path: string | NoFile;
  /** The password (given or read from passwordFile); never logged. */
  password: string | undefined;
  /** Every spelling of the password a tool might print (raw, as escaped in the file), for redaction. */
  secrets: string[];
  remove(): Promise<void>;
}

/**
 * The password a run uses (resolvePassword), in a file of `format` written by writeCredentialFile.
 * A password the format cannot carry (a line break in a passfile, NUL in an option file) is refused
 * as VALIDATION_FAILED before anything is written.
 */
export async function createToolCredentials<NoFile extends null = never>(tmpDir: string, credentials: Credentials, format: CredentialFormat<NoFile>): Promise<ToolCredentials<NoFile>> {
  const password = await resolvePassword(credentials);
  let text: string | NoFile;
  let secrets: string[] = [];
  try {
    text = format.text(password);
    if (password) secrets = [password, format.escaped(password)];
  } catch (err) {
    throw new HoldfastError("VALIDATION_FAILED", (err as Error).message);
  }
  if (text === null) return { path: text, password, secrets, remove: async () => {} };
  const file = await writeCredentialFile(tmpDir, format.dirPrefix, format.fileName, text);
  return { path: file.path, password, secrets, remove: file.remove };
}
