import { Command, Option } from "commander";
import { ApiTokenName, DEFAULT_ENROLLMENT_TTL, HoldfastError, parseOrThrow, Role, systemClock } from "@holdfast/shared";
import type { DbContext } from "../../context.js";
import type { EnvFlags } from "../../env.js";

// These commands work on the control plane's own data; their modules (database, server) load only
// when one runs, so a remote command (`holdfast agents list`) starts without them.

// stdout carries only each command's result (an id, a token), so scripts can capture it;
// every message goes to stderr.
const say = (line: string) => process.stderr.write(`${line}\n`);

/** A local command's flags: the settings it can set, and the config file. */
type LocalFlags = EnvFlags & { config?: string };

async function withDatabase<T>(flags: LocalFlags, fn: (ctx: DbContext) => Promise<T>): Promise<T> {
  const { loadConfiguredEnv } = await import("../../config/config-file.js");
  const { openDatabase } = await import("../../db/index.js");
  const env = loadConfiguredEnv(flags);
  const database = await openDatabase(env);
  try {
    return await fn({ database, clock: systemClock });
  } finally {
    await database.close();
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

/** Runs an action; a HoldfastError becomes one clear line on stderr and exit code 1, never a stack. */
function run<A extends unknown[]>(fn: (...args: A) => Promise<void>) {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      if (err instanceof HoldfastError) say(`holdfast: ${err.message} (${err.code})`);
      else say(`holdfast: unexpected error: ${(err as Error)?.message ?? String(err)}`);
      process.exitCode = 1;
    }
  };
}

/** The options every command on this host's data takes (backup-self and restore-self too). */
export const dataDir = () => new Option("--data-dir <dir>", "data directory (default $HOLDFAST_DATA_DIR or ./data)");
export const config = () =>
  new Option("--config <file>", "the control plane's config file (default $HOLDFAST_CONFIG_FILE, else /etc/holdfast/holdfast.json when it exists; docs/deployment.md)");

/** `serve`, `migrate`, `user create`, `api-token create`, `token create`: on this host's data. */
export function registerLocalCommands(program: Command): void {

program
  .command("serve")
  .description("run the control plane: REST API, agent link, artifact pulls")
  .addOption(dataDir())
  .addOption(config())
  .option("--port <port>", "TCP port (default $HOLDFAST_PORT or 8080)")
  .option("--host <host>", "address to bind (default $HOLDFAST_HOST or 127.0.0.1)")
  .option("--tls-cert <file>", "PEM certificate chain, leaf first: serve HTTPS and WSS (default $HOLDFAST_TLS_CERT; re-read on SIGHUP)")
  .option("--tls-key <file>", "its PEM private key (default $HOLDFAST_TLS_KEY)")
  .action(
    run(async (opts: LocalFlags) => {
      const [{ startServer }, { configFilePath, loadConfiguredEnv }] = await Promise.all([import("../../server.js"), import("../../config/config-file.js")]);
      const env = loadConfiguredEnv(opts);
      // Which file was read, when one was: the first question when a setting seems ignored.
      const file = configFilePath(opts.config, process.env);
      if (file !== null) say(`holdfast: settings from ${file} (variables and flags win over it)`);
      const server = await startServer(env);
      const stop = (signal: string) => {
        say(`holdfast: ${signal} received, shutting down`);
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
      // A renewed certificate is taken without a restart: `systemctl reload holdfast` or kill -HUP.
      process.on("SIGHUP", () => {
        say(server.reloadTls() ? "holdfast: SIGHUP: TLS certificate reloaded" : "holdfast: SIGHUP: TLS certificate not reloaded (see the log)");
      });
    }),
  );

program
  .command("migrate")
  .description("bring the database schema up to date (serve does this too)")
  .addOption(dataDir())
  .addOption(config())
  .action(
    run(async (opts: LocalFlags) => {
      await withDatabase(opts, async () => {});
      say("holdfast: database is up to date");
    }),
  );

const user = program.command("user").description("manage users");
user
  .command("create")
  .description("create a user; prints its id")
  .requiredOption("--email <email>", "the user's e-mail address")
  .addOption(new Option("--role <role>", "what the user may do").choices(Role.options).makeOptionMandatory())
  .option("--password-stdin", "read the password from stdin")
  .addOption(dataDir())
  .addOption(config())
  .action(
    run(async (opts: { email: string; role: Role; passwordStdin?: boolean; dataDir?: string; config?: string }) => {
      if (!opts.passwordStdin) throw new HoldfastError("VALIDATION_FAILED", "Pass --password-stdin and the password on stdin");
      const password = await readStdin();
      const { createUser } = await import("../../users/create-user.js");
      const created = await withDatabase(opts, (ctx) => createUser(ctx, { email: opts.email, role: opts.role, password }));
      process.stdout.write(`${created.user.id}\n`);
    }),
  );

program
  .command("api-token")
  .description("manage API tokens")
  .command("create")
  .description("create an API token for a user; prints the token once")
  .requiredOption("--email <email>", "the user's e-mail address")
  .option("--name <name>", "what the token is for, to tell it from the user's others (default: \"cli <date>\")")
  .addOption(new Option("--role <role>", "the most the token may do (default: the user's role; never above it)").choices(Role.options))
  .addOption(dataDir())
  .addOption(config())
  .action(
    run(async (opts: { email: string; name?: string; role?: Role; dataDir?: string; config?: string }) => {
      const name = opts.name ?? `cli ${new Date().toISOString().slice(0, 16).replace("T", " ")}`;
      const parsed = parseOrThrow(ApiTokenName, name, "--name");
      const { createApiToken } = await import("../../users/api-tokens.js");
      const { token, effectiveRole } = await withDatabase(opts, (ctx) => createApiToken(ctx, { email: opts.email }, { name: parsed, role: opts.role }));
      process.stdout.write(`${token}\n`);
      say(`holdfast: API token "${parsed}" for ${opts.email}, acting as ${effectiveRole}; shown once`);
    }),
  );

program
  .command("token")
  .description("manage enrollment tokens")
  .command("create")
  .description("create a single-use enrollment token for an agent; prints it once")
  .option("--ttl <duration>", "how long it stays valid, e.g. 15m, 2h (max 24h)", DEFAULT_ENROLLMENT_TTL)
  .option("--name <name>", "a name to recognise it by in the pending list")
  .addOption(dataDir())
  .addOption(config())
  .action(
    run(async (opts: { ttl: string; name?: string; dataDir?: string; config?: string }) => {
      const { createEnrollmentToken, parseTtl } = await import("../../enrollment/create-token.js");
      const ttlMs = parseTtl(opts.ttl);
      const { token, expiresAt } = await withDatabase(opts, (ctx) => createEnrollmentToken(ctx, { ttlMs, name: opts.name }));
      process.stdout.write(`${token}\n`);
      say(`holdfast: valid until ${expiresAt.toISOString()}, single use`);
    }),
  );

}
