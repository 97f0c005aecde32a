import fs from "node:fs";
import { AgeIdentity, HoldfastError } from "@holdfast/shared/protocol";

const refuse = (message: string, details: Record<string, unknown>) => new HoldfastError("DECRYPTION_FAILED", message, { stage: "decrypt", ...details });

/** A file its group or others may read is refused, as libpq refuses such a ~/.pgpass (and credentials.ts a passwordFile). */
export function refuseSharedFile(file: string, mode: number, what: string, error: (message: string, details: Record<string, unknown>) => HoldfastError): void {
  if ((mode & 0o077) === 0) return;
  const octal = (mode & 0o777).toString(8).padStart(3, "0");
  throw error(`${what} ${file} is readable by group or others (mode ${octal}): chmod 600 it`, { file, mode: octal });
}

/**
 * The age identity in `file`, as `age-keygen` writes it: `#` comments, then one
 * `AGE-SECRET-KEY-1...` line. It must be private to its owner (0600); the key goes into no message.
 */
export async function readIdentityFile(file: string): Promise<string> {
  let text: string;
  try {
    const st = await fs.promises.stat(file);
    if (!st.isFile()) throw refuse(`The identity file ${file} is not a regular file`, { file });
    refuseSharedFile(file, st.mode, "The identity file", refuse);
    text = await fs.promises.readFile(file, "utf8");
  } catch (err) {
    if (err instanceof HoldfastError) throw err;
    const errno = (err as NodeJS.ErrnoException).code ?? "error";
    throw refuse(`The identity file ${file} cannot be read (${errno})`, { file, errno });
  }
  const keys = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  const key = keys.length === 1 ? AgeIdentity.safeParse(keys[0]) : undefined;
  if (!key?.success) throw refuse(`The identity file ${file} must hold one age identity (AGE-SECRET-KEY-1..., as age-keygen writes it)`, { file });
  return key.data;
}
