import fs from "node:fs";
import { HoldfastError } from "@holdfast/shared/protocol";

/** The credential fields every network engine's connection has (shared/src/protocol/datasource.ts). */
export interface Credentials {
  password?: string | undefined;
  passwordFile?: string | undefined;
}

/**
 * The password a run uses: the stored one, or the first line of `passwordFile`, read now so a
 * rotated secret is picked up by the next run. Like libpq with ~/.pgpass, a file that its group or
 * others may read is refused: a secret left world-readable should fail loudly, not work quietly.
 */
export async function resolvePassword(c: Credentials): Promise<string | undefined> {
  if (c.passwordFile === undefined) return c.password;
  const file = c.passwordFile;
  let text: string;
  try {
    const stat = await fs.promises.stat(file);
    if (!stat.isFile()) throw new HoldfastError("DB_CONNECTION_TEST_FAILED", `passwordFile ${file} is not a regular file`, { passwordFile: file }, false);
    if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(3, "0");
      throw new HoldfastError("DB_CONNECTION_TEST_FAILED", `passwordFile ${file} is readable by group or others (mode ${mode}); chmod 600 it`, { passwordFile: file, mode }, false);
    }
    text = await fs.promises.readFile(file, "utf8");
  } catch (err) {
    if (err instanceof HoldfastError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new HoldfastError("DB_CONNECTION_TEST_FAILED", `passwordFile ${file} cannot be read (${code})`, { passwordFile: file, errno: code }, false);
  }
  const first = text.split(/\r?\n/, 1)[0] ?? "";
  if (first === "") throw new HoldfastError("DB_CONNECTION_TEST_FAILED", `passwordFile ${file} is empty`, { passwordFile: file }, false);
  return first;
}
