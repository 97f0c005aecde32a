import { readFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { CliError } from "./cli-error.js";
import { EXIT } from "./exit-codes.js";

/** All of stdin, without the one trailing newline `echo` or a here-string adds. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

/**
 * A secret from stdin (`--x-stdin`) or from a file of this host (`--x-file`), never from argv, which
 * every user of the host sees in `ps`. Undefined when neither is given; an empty one is refused.
 */
export async function readSecret(what: string, from: { stdin?: boolean; file?: string }): Promise<string | undefined> {
  if (from.stdin && from.file) throw new CliError(`Give the ${what} on stdin or in a file, not both`, EXIT.usage);
  let secret: string | undefined;
  if (from.stdin) {
    if (process.stdin.isTTY) throw new CliError(`The ${what} is read from stdin: pipe it in (printf %s "$SECRET" | holdfast …)`, EXIT.usage);
    secret = await readStdin();
  } else if (from.file) {
    try {
      secret = readFileSync(from.file, "utf8").replace(/\r?\n$/, "");
    } catch (err) {
      throw new CliError(`Cannot read the ${what} from ${from.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT.usage);
    }
  }
  if (secret === "") throw new CliError(`The ${what} is empty`, EXIT.usage);
  return secret;
}

/**
 * Asks before something that cannot be undone: `--yes` skips the question; without it a terminal is
 * asked (y/N), and anything else (a script, a pipe) is refused, since nobody is there to answer.
 */
export async function confirmOrRefuse(question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY || !process.stderr.isTTY) {
    throw new CliError(`${question.replace(/\?$/, "")}: refused without a terminal to confirm on; add --yes`, EXIT.usage);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError("Nothing done.", EXIT.failed);
  } finally {
    rl.close();
  }
}
