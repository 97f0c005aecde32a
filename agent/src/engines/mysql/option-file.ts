import { HoldfastError } from "@holdfast/shared";
import { writeCredentialFile } from "../credential-file.js";
import { resolvePassword, type Credentials } from "../credentials.js";

/**
 * The MySQL/MariaDB option-file reader (mysys my_default.c) reads lines into a 4 KiB buffer: a
 * longer line is split and its tail parsed as a new option. Refused well below that.
 */
const MAX_LINE_BYTES = 4000;

/**
 * One option value as the option-file reader reads it back: in double quotes (so `#` is not a
 * comment and leading/trailing spaces stay), with the escapes it understands: `\\`, `\"`, `\n`,
 * `\r`, `\t`, `\b`. Every other byte is taken literally. NUL cannot be carried (C strings): refused.
 */
export function quoteOptionValue(value: string): string {
  if (value.includes("\0")) throw new Error("a value with a NUL byte cannot be written to a MySQL option file");
  const escaped = value.replace(/[\\"\n\r\t\b]/g, (c) => ESCAPES[c]!);
  return `"${escaped}"`;
}
const ESCAPES: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b" };

/** The file's text: a `[client]` group (read by mariadb, mariadb-dump, mysql and mysqldump), with the password when there is one. */
export function formatOptionsFile(password: string | undefined): string {
  if (password === undefined) return "[client]\n";
  const line = `password=${quoteOptionValue(password)}`;
  if (Buffer.byteLength(line) > MAX_LINE_BYTES) throw new Error("the password is too long for a MySQL option file line");
  return `[client]\n${line}\n`;
}

export interface OptionsFile {
  /** For `--defaults-extra-file=`, which must be the tool's first argument. */
  path: string;
  /** The password it holds (given or read from passwordFile), for redacting tool output; never logged. */
  password: string | undefined;
  remove(): Promise<void>;
}

/**
 * A fresh mkdtemp dir (0700) under the temp dir holding a 0600 options file opened with O_EXCL: no
 * other user can read it or plant a symlink, and the password is never in argv or the environment
 * (no MYSQL_PWD, which other users may read from /proc on some systems). Written even without a
 * password, so every tool call has the same shape.
 */
export async function createOptionsFile(tmpDir: string, credentials: Credentials): Promise<OptionsFile> {
  const password = await resolvePassword(credentials);
  let text: string;
  try {
    text = formatOptionsFile(password);
  } catch (err) {
    throw new HoldfastError("VALIDATION_FAILED", (err as Error).message);
  }
  const file = await writeCredentialFile(tmpDir, "holdfast-my-", "client.cnf", text);
  return { path: file.path, password, remove: file.remove };
}

/** Everything a tool printed, with the password (raw and as quoted in the file) masked. */
export function passwordSpellings(password: string | undefined): (string | undefined)[] {
  if (password === undefined || password === "") return [];
  let quoted: string | undefined;
  try {
    quoted = quoteOptionValue(password).slice(1, -1);
  } catch {
    quoted = undefined;
  }
  return [password, quoted];
}
