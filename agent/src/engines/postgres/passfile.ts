import { HoldfastError } from "@holdfast/shared";
import { resolvePassword, type Credentials } from "../credentials.js";
import { writeCredentialFile } from "../credential-file.js";
import { formatPassfileLine } from "./conninfo.js";

export interface Passfile {
  /** null when the connection has no password (peer/trust auth or the operator's own ~/.pgpass). */
  path: string | null;
  /** The password it holds (given or read from passwordFile), for redacting tool output; never logged. */
  password: string | undefined;
  remove(): Promise<void>;
}

/**
 * A fresh mkdtemp dir (0700) under the temp dir holding a 0600 passfile opened with O_EXCL: no
 * other user can read it or plant a symlink, and the password never appears in argv or environment.
 */
export async function createPassfile(tmpDir: string, credentials: Credentials): Promise<Passfile> {
  const password = await resolvePassword(credentials);
  if (password === undefined) return { path: null, password, remove: async () => {} };
  let line: string;
  try {
    line = formatPassfileLine(password);
  } catch (err) {
    throw new HoldfastError("VALIDATION_FAILED", (err as Error).message);
  }
  const file = await writeCredentialFile(tmpDir, "holdfast-pg-", "pgpass", line);
  return { path: file.path, password, remove: file.remove };
}
