import { hostname } from "node:os";
import { rmSync } from "node:fs";
import type { Command } from "commander";
import { CSRF_HEADER } from "@holdfast/shared";
import { hc } from "hono/client";
import type { AppType } from "../../http/app.js";
import { apiFor, call, unreachableAt } from "../remote/client.js";
import { CliError } from "../remote/cli-error.js";
import { CliConfig, configPath, type Connection, readConfig, writeConfig } from "../remote/connection.js";
import { EXIT } from "../remote/exit-codes.js";
import { checked } from "../remote/flags.js";
import { readStdin } from "../remote/input.js";
import { printItem, say } from "../remote/output.js";
import { remote, reportFailure } from "../remote/remote-command.js";

interface LoginFlags {
  email?: string;
  passwordStdin?: boolean;
  tokenStdin?: boolean;
  name?: string;
}

/** The server to log in to: `--server`, `$HOLDFAST_SERVER`, or the one of the config file already there. */
function serverFor(flag: string | undefined): string {
  const server = flag ?? (process.env.HOLDFAST_SERVER || undefined) ?? safeConfig()?.server;
  if (!server) throw new CliError("Which control plane? Give --server URL (or set HOLDFAST_SERVER)", EXIT.usage);
  return checked(CliConfig.shape.server, server, "--server").replace(/\/+$/, "");
}

function safeConfig(): CliConfig | null {
  try {
    return readConfig(configPath());
  } catch {
    return null;
  }
}

/**
 * A client that keeps the session cookie of a sign-in: `login` is the one command that signs in as
 * a browser does, only to make an API token and sign out again.
 */
function sessionApi(server: string) {
  let cookie: string | undefined;
  const sessionFetch: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    if (cookie) headers.set("cookie", cookie);
    let res: Response;
    try {
      res = await fetch(input, { ...init, headers, signal: AbortSignal.timeout(60_000) });
    } catch (err) {
      throw unreachableAt(server, err);
    }
    // name=value of each Set-Cookie; attributes (Path, HttpOnly…) are the browser's business.
    const set = res.headers.getSetCookie().map((c) => c.split(";")[0]!).filter((c) => !c.endsWith("="));
    if (set.length > 0) cookie = set.join("; ");
    return res;
  };
  return hc<AppType>(server, { fetch: sessionFetch }).api.v1;
}

async function askCredentials(flags: LoginFlags): Promise<{ email: string; password: string }> {
  const tty = process.stdin.isTTY === true;
  let email = flags.email;
  if (!email) {
    if (!tty) throw new CliError("Give --email (no terminal to ask on)", EXIT.usage);
    const { default: input } = await import("@inquirer/input");
    email = await input({ message: "E-mail", required: true }, { output: process.stderr });
  }
  let password: string;
  if (flags.passwordStdin) password = await readStdin();
  else {
    if (!tty) throw new CliError("Give the password on stdin with --password-stdin (no terminal to ask on)", EXIT.usage);
    const { default: promptPassword } = await import("@inquirer/password");
    // Nothing echoes, not even a mask: its length is nobody's business either.
    password = await promptPassword({ message: "Password" }, { output: process.stderr });
  }
  if (!password) throw new CliError("The password is empty", EXIT.usage);
  return { email, password };
}

/** Signs in, makes an API token of the user's own named after this host, signs the session out. */
async function tokenFromPassword(server: string, credentials: { email: string; password: string }, name: string) {
  const api = sessionApi(server);
  const session = await call(api.session.$post({ json: credentials }));
  if (!session.signedIn || session.via !== "session") throw new CliError("The control plane did not open a session", EXIT.failed);
  const headers = { [CSRF_HEADER]: session.csrfToken };
  try {
    return await call(api["api-tokens"].$post({ json: { name } }, { headers }));
  } finally {
    // The token is what the CLI keeps; the session would only wait to expire.
    await api.session.$delete({}, { headers }).catch(() => undefined);
  }
}

/** Who a connection's token belongs to; a token the server does not take is exit 5. */
async function whoIs(conn: Connection) {
  const session = await call(apiFor(conn).session.$get());
  if (!session.signedIn) throw new CliError(`The control plane at ${conn.server} does not accept this token (revoked or expired): run holdfast login`, EXIT.unreachable, "UNAUTHENTICATED");
  return session.user;
}

/** `holdfast login`, `logout`, `whoami`. */
export function registerLoginCommands(program: Command): void {
  program
    .command("login")
    .description("sign in to a control plane and keep an API token of your own for the next commands (config file, 0600)")
    .option("--email <email>", "your e-mail (asked when missing)")
    .option("--password-stdin", "read the password from stdin instead of asking (scripts)")
    .option("--token-stdin", "keep an existing API token read from stdin instead of signing in")
    .option("--name <name>", 'the new API token\'s name (default: "cli <host> <date>")')
    .addHelpText("after", "\nThe token is written to $HOLDFAST_CONFIG, else $XDG_CONFIG_HOME/holdfast/cli.json, else ~/.config/holdfast/cli.json (mode 0600).\nExamples:\n  holdfast login --server https://backups.example.com\n  printf %s \"$PASSWORD\" | holdfast login --server URL --email me@example.com --password-stdin\n  printf %s \"$TOKEN\" | holdfast login --server URL --token-stdin")
    .action(async (flags: LoginFlags, command: Command) => {
      try {
        const server = serverFor(command.optsWithGlobals<{ server?: string }>().server);
        const path = configPath();
        if (flags.tokenStdin) {
          if (flags.email || flags.passwordStdin) throw new CliError("--token-stdin takes a token: leave out --email and --password-stdin", EXIT.usage);
          const token = checked(CliConfig.shape.token, await readStdin(), "token");
          const user = await whoIs({ server, token });
          writeConfig(path, { server, token });
          say(`Logged in to ${server} as ${user.email} (${user.role}); token kept in ${path}`);
          return;
        }
        const name = flags.name ?? `cli ${hostname()} ${new Date().toISOString().slice(0, 10)}`;
        const credentials = await askCredentials(flags);
        const created = await tokenFromPassword(server, credentials, name);
        writeConfig(path, { server, token: created.token, tokenId: created.id });
        say(`Logged in to ${server} as ${credentials.email}; API token "${created.name}" kept in ${path}`);
      } catch (err) {
        reportFailure(err);
      }
    });

  program
    .command("logout")
    .description("revoke the API token holdfast login made and remove the config file")
    .action(async () => {
      try {
        const path = configPath();
        const config = readConfig(path);
        if (!config) {
          say(`Not logged in (no ${path}).`);
          return;
        }
        if (config.tokenId) {
          // Already revoked or the server gone: the file goes anyway, and the user is told.
          await call(apiFor(config)["api-tokens"][":id"].$delete({ param: { id: config.tokenId } })).catch((err: unknown) => {
            say(`The token could not be revoked (${(err as Error).message}); revoke it in the console.`);
          });
        } else say("This token was given to holdfast login, not made by it: it stays valid (revoke it where it was made).");
        rmSync(path, { force: true });
        say(`Logged out of ${config.server}.`);
      } catch (err) {
        reportFailure(err);
      }
    });

  program
    .command("whoami")
    .description("who the API token in use belongs to, and on which control plane")
    .action(
      remote(async ({ conn, json }) => {
        const user = await whoIs(conn);
        printItem({ server: conn.server, ...user }, [["Server", conn.server], ["E-mail", user.email], ["Role", user.role], ["User", user.id]], { json });
      }),
    );
}
