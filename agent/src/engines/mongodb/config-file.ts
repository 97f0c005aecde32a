import type { Credentials } from "../credentials.js";
import { createToolCredentials, type CredentialFormat, type ToolCredentials } from "../credential-file.js";

/**
 * A YAML double-quoted scalar the tools' YAML parser reads back exactly: `\` and `"` escaped, and
 * every control or line-breaking character (C0, DEL, C1, U+2028/2029, BOM) as `\uXXXX`, so the
 * value stays on one line. NUL and lone surrogates have no place in a password: refused.
 */
export function yamlQuote(value: string): string {
  if (value.includes("\0")) throw new Error("a password with a NUL byte cannot be given to the MongoDB tools");
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value)) throw new Error("the password is not valid Unicode");
  const escaped = value.replace(/[\\"\u0001-\u001f\u007f-\u009f\u2028\u2029\ufeff]/g, (c) =>
    c === "\\" || c === '"' ? `\\${c}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `"${escaped}"`;
}

/** The `--config` file's text: the password and nothing else (host, user and TLS travel as plain arguments). */
export function formatConfigFile(password: string): string {
  return `password: ${yamlQuote(password)}\n`;
}

/** For `--config=`; `path` null when there is no password (no file, no flag). */
export type ConfigFile = ToolCredentials<null>;

const CONFIG_FILE: CredentialFormat<null> = {
  dirPrefix: "holdfast-mongo-",
  fileName: "tools.yaml",
  text: (password) => (password === undefined ? null : formatConfigFile(password)),
  escaped: (password) => yamlQuote(password).slice(1, -1),
};

/**
 * mongodump/mongorestore (100.3.0 and later) read the password from a YAML `--config` file, private
 * to the run (credential-file.ts), so it is never in argv (`--password`) or a `--uri`, both visible
 * in the process list.
 */
export function createConfigFile(tmpDir: string, credentials: Credentials): Promise<ConfigFile> {
  return createToolCredentials(tmpDir, credentials, CONFIG_FILE);
}
