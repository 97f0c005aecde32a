import type { Credentials } from "../credentials.js";
import { createToolCredentials, type CredentialFormat, type ToolCredentials } from "../credential-file.js";

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

/** For `--defaults-extra-file=`, which must be the tool's first argument; written even without a password, so every tool call has the same shape. */
export type OptionsFile = ToolCredentials;

const OPTIONS_FILE: CredentialFormat = {
  dirPrefix: "holdfast-my-",
  fileName: "client.cnf",
  text: formatOptionsFile,
  escaped: (password) => quoteOptionValue(password).slice(1, -1),
};

/**
 * The run's password in a private options file (credential-file.ts): never in argv or the
 * environment (no MYSQL_PWD, which other users may read from /proc on some systems).
 */
export function createOptionsFile(tmpDir: string, credentials: Credentials): Promise<OptionsFile> {
  return createToolCredentials(tmpDir, credentials, OPTIONS_FILE);
}
