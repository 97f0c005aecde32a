import { readFileSync, statSync } from "node:fs";
import { AgeIdentity } from "@holdfast/shared";
import { CliError } from "../remote/cli-error.js";
import { EXIT } from "../remote/exit-codes.js";

/**
 * The age identity in `file` (as `keys generate` or age-keygen writes it: comments, then one
 * `AGE-SECRET-KEY-1…` line). A file others may read is refused, as ssh refuses a private key: a
 * key that leaked is a key to every backup made for it. The key itself is never printed.
 */
export function readIdentityFile(file: string): string {
  let mode: number;
  try {
    mode = statSync(file).mode;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new CliError(`No identity file ${file}`, EXIT.usage);
    throw err;
  }
  if ((mode & 0o077) !== 0) throw new CliError(`${file} may be read by other users (mode ${(mode & 0o777).toString(8)}): run chmod 600 ${file}`, EXIT.usage);
  const keys = readFileSync(file, "utf8")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const parsed = keys.length === 1 ? AgeIdentity.safeParse(keys[0]) : null;
  if (!parsed?.success) throw new CliError(`${file} does not hold one age X25519 identity (a line AGE-SECRET-KEY-1…)`, EXIT.usage);
  return parsed.data;
}
