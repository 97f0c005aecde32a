import type { Credentials } from "../credentials.js";
import { createToolCredentials, type CredentialFormat, type ToolCredentials } from "../credential-file.js";
import { escapePassfileValue, formatPassfileLine } from "./conninfo.js";

/** PGPASSFILE; `path` null when the connection has no password (peer/trust auth or the operator's own ~/.pgpass). */
export type Passfile = ToolCredentials<null>;

const PASSFILE: CredentialFormat<null> = {
  dirPrefix: "holdfast-pg-",
  fileName: "pgpass",
  text: (password) => (password === undefined ? null : formatPassfileLine(password)),
  escaped: escapePassfileValue,
};

/** The run's password in a private passfile (credential-file.ts): never in argv or the environment. */
export function createPassfile(tmpDir: string, credentials: Credentials): Promise<Passfile> {
  return createToolCredentials(tmpDir, credentials, PASSFILE);
}
