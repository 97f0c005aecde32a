import path from "node:path";
import type { ErrorCode, HoldfastError, MysqlConnection } from "@holdfast/shared/protocol";
import { spawnFilter, toolEnv, type ToolExit } from "../spawn-tool.js";
import { toolFailure } from "../failure-codes.js";
import { buildClientArgs } from "./args.js";
import { classifyMysqlFailure } from "./classify-failure.js";
import type { OptionsFile } from "./option-file.js";
import type { MysqlFlavor } from "./tools.js";

/** A client ready to run our own statements: which binary, which family, which options file. */
export interface SqlSession {
  client: string;
  flavor: MysqlFlavor;
  optionsFile: OptionsFile;
  connection: MysqlConnection;
}

/** `name` as a MySQL identifier: in backticks, backticks doubled. The client (binary mode) passes it through untouched. */
export function quoteIdent(name: string): string {
  return `\`${name.replace(/`/g, "``")}\``;
}

/** The client's batch output escapes `\0`, `\b`, `\n`, `\r`, `\t`, `\Z` and `\\` in values; undone here. */
export function unescapeBatchField(field: string): string {
  return field.replace(/\\(.)/g, (_, c: string) => ({ "0": "\0", b: "\b", n: "\n", r: "\r", t: "\t", Z: "\x1a", "\\": "\\" })[c] ?? c);
}

/** Rows of tab-separated fields, each unescaped (a value may hold a tab or a newline: the client escapes them). */
export function parseBatchRows(out: string): string[][] {
  return out
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.split("\t").map(unescapeBatchField));
}

/** A MySQL tool's failure: classified by classifyMysqlFailure, else `code`; every spelling of the password masked. */
export function mysqlToolFailure(code: ErrorCode, what: string, exit: ToolExit, secrets: readonly string[]): HoldfastError {
  return toolFailure(code, what, exit, { secrets, classify: classifyMysqlFailure });
}

/**
 * Runs our own SQL through the client on stdin (never argv: a long statement list would hit the
 * kernel's per-argument limit) and returns the rows of every result set, in order. `database`
 * overrides the connection's (listing databases). A failure is `code`, or the cause classifyMysqlFailure
 * found, with the client's redacted stderr.
 */
export async function runSql(session: SqlSession, sql: string, opts: { code: ErrorCode; what: string; database?: string }): Promise<string[][]> {
  const database = opts.database === undefined ? session.connection.database : opts.database;
  const args = buildClientArgs(session.optionsFile.path, session.connection, session.flavor, { sandbox: false, database });
  const tool = spawnFilter(path.basename(session.client), session.client, args, toolEnv());
  let out = "";
  tool.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  // A client that died before reading everything closes its stdin: that is in its exit, not an error here.
  tool.stdin.on("error", () => {});
  tool.stdin.end(sql);
  const exit = await tool.exited;
  if (exit.code !== 0) throw mysqlToolFailure(opts.code, opts.what, exit, session.optionsFile.secrets);
  return parseBatchRows(out);
}
