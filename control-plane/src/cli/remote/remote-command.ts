import { type Command, Option } from "commander";
import { apiFor, type Api } from "./client.js";
import { cliErrorOf } from "./cli-error.js";
import { type Connection, resolveConnection } from "./connection.js";
import { colorErr } from "./output.js";

/** What every remote command's action gets. */
export interface RemoteContext {
  api: Api;
  conn: Connection;
  /** `--json`: print the API's answer as JSON instead of a table. */
  json: boolean;
}

/** The options every command that talks to a control plane takes (on the program, so anywhere on the line). */
export function addConnectionOptions(program: Command): Command {
  return program
    // Every command's --help lists these too (commands made after this inherit the setting).
    .configureHelp({ showGlobalOptions: true })
    .addOption(new Option("--server <url>", "control plane URL (default: $HOLDFAST_SERVER, then holdfast login's config)"))
    .addOption(new Option("--token <token>", "API token (default: $HOLDFAST_TOKEN, then holdfast login's config); prefer the variable: argv is visible to other users in ps"))
    .addOption(new Option("--json", "print results as JSON (the API's field names)"));
}

/** Prints a failure as one line (and the catalog's action) and sets the exit code; never a stack trace. */
export function reportFailure(err: unknown, program = "holdfast"): void {
  const e = cliErrorOf(err);
  process.stderr.write(`${program}: ${e.message}${e.code ? ` (${e.code})` : ""}\n`);
  if (e.action) process.stderr.write(`${colorErr.dim(e.action)}\n`);
  process.exitCode = e.exitCode;
}

/**
 * An action that talks to a control plane: resolves the connection and the typed client, runs, and
 * turns any failure into one line and its documented exit code. Commander passes the positional
 * arguments, then the command's options, then the command.
 *
 * @example .action(remote(async ({ api, json }, id: string) => printItem(await call(api.agents[":id"].$get({ param: { id } })), ...)))
 */
export function remote<A extends unknown[]>(fn: (ctx: RemoteContext, ...args: A) => Promise<void>) {
  return async (...args: unknown[]) => {
    const command = args[args.length - 1] as Command;
    try {
      const globals = command.optsWithGlobals<{ server?: string; token?: string; json?: boolean }>();
      const conn = resolveConnection(globals);
      await fn({ api: apiFor(conn), conn, json: globals.json === true }, ...(args.slice(0, -1) as A));
    } catch (err) {
      reportFailure(err);
    }
  };
}
