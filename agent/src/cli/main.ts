import { Command } from "commander";
import { HoldfastError, parseOrThrow, systemClock, TlsPin } from "@holdfast/shared/protocol";
import { loadEnv } from "../env.js";
import { AGENT_VERSION } from "../version.js";
import { readEnrollToken } from "./read-token.js";
import { addAllowPathCommand } from "./allow-path-command.js";
import { addRestoreCommands } from "./restore-commands.js";
import { addDoctorCommand } from "./doctor-command.js";
import { addUpgradeCommand } from "./upgrade-command.js";

/** One line on stderr, never a stack trace: the reader is an operator at a shell. */
function fail(err: unknown, exitCode = 1): never {
  if (err instanceof HoldfastError) {
    process.stderr.write(`holdfast-agent: ${err.message} [${err.code}]\n`);
  } else {
    const e = err as NodeJS.ErrnoException & { cause?: { code?: string; message?: string } };
    const cause = e?.cause?.code ?? e?.cause?.message ?? e?.code;
    process.stderr.write(`holdfast-agent: ${e?.message ?? String(err)}${cause ? ` (${cause})` : ""}\n`);
  }
  process.exit(exitCode);
}

/** EX_CONFIG: the unit's RestartPreventExitStatus=78 keeps a misconfigured agent from restarting in a loop. */
const EXIT_CONFIG = 78;

const program = new Command()
  .name("holdfast-agent")
  .description("Runs database dumps on this host for a Holdfast control plane.")
  .version(AGENT_VERSION)
  // A wrong flag or a missing argument is a usage error: exit 2 (commander says 1); --help and --version stay 0.
  .exitOverride((err) => process.exit(err.exitCode === 1 ? 2 : err.exitCode));

program
  .command("enroll")
  .description("Enroll this host with a control plane; prints the new agent id on stdout.")
  .requiredOption("--server <url>", "control plane URL, e.g. https://holdfast.example.com")
  .option("--token <token>", "enrollment token (prefer --token-file or HOLDFAST_ENROLL_TOKEN: argv is visible in ps)")
  .option("--token-file <file>", "file holding the enrollment token")
  .option("--name <name>", "display name of this agent")
  .option("--data-dir <dir>", "agent data dir (default: HOLDFAST_DATA_DIR)")
  .option("--ca-pin <pin>", "sha256:… of a key in the control plane's TLS chain (holdfast ca-pin prints them); repeatable; replaces CA validation", (pin: string, pins: string[]) => [...pins, pin], [] as string[])
  .option("--insecure", "accept plain http:// to a control plane on another host (logged at every start)")
  .action(async (opts: { server: string; token?: string; tokenFile?: string; name?: string; dataDir?: string; caPin: string[]; insecure?: boolean }) => {
    try {
      const env = loadEnv({ dataDir: opts.dataDir });
      const pins = opts.caPin.map((pin) => parseOrThrow(TlsPin, pin, "--ca-pin"));
      const token = readEnrollToken(opts, process.env);
      const { enroll } = await import("../identity/enroll.js");
      const identity = await enroll({ dataDir: env.dataDir, serverUrl: opts.server, token, name: opts.name, clock: systemClock, pins, insecure: opts.insecure ?? false });
      process.stderr.write(`Enrolled as "${identity.name}" with ${identity.serverUrl}; identity saved in ${env.dataDir}\n`);
      process.stdout.write(`${identity.agentId}\n`);
    } catch (err) {
      fail(err);
    }
  });

program
  .command("run")
  .description("Connect to the control plane and run backups until stopped.")
  .option("--data-dir <dir>", "agent data dir (default: HOLDFAST_DATA_DIR)")
  .option("--config <file>", "agent config file (default: HOLDFAST_AGENT_CONFIG; /etc/holdfast/agent.json when installed)")
  .option("--server <url>", "a control plane to connect to; repeat for replicas, tried in turn (default: HOLDFAST_SERVERS, the config file, the enrolled URL)", (url: string, all: string[]) => [...all, url], [])
  .action(async (opts: { dataDir?: string; config?: string; server: string[] }) => {
    let agent;
    let log;
    let env;
    try {
      env = loadEnv({ dataDir: opts.dataDir, config: opts.config, servers: opts.server });
    } catch (err) {
      fail(err, EXIT_CONFIG);
    }
    try {
      // Loaded only by `run`, as every command loads its own code: less idle memory (docs/decisions.md, "Agent memory: a lean start").
      const [{ createLogger }, { startAgent }] = await Promise.all([import("../log.js"), import("../agent.js")]);
      log = createLogger(env.logLevel);
      agent = await startAgent(env, log);
    } catch (err) {
      fail(err);
    }
    // The clock's timers are unref'd; this keeps the process alive while the link waits to reconnect.
    const keepAlive = setInterval(() => {}, 1 << 30);
    // A repeated signal while stopping must not kill the process half-way through closing the database.
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, "stopping");
      // Whatever hangs, the process is gone within 10 s; SQLite (WAL, synchronous=FULL) holds every committed change.
      setTimeout(() => {
        log.error("shutdown took longer than 9.5 s: exiting now");
        process.exit(0);
      }, 9_500).unref();
      void agent.stop().catch((err: unknown) => log.error({ err }, "error while stopping"));
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    const code = await agent.done;
    clearInterval(keepAlive);
    log.info({ exitCode: code }, "stopped");
    process.exit(code);
  });

addRestoreCommands(program, fail);
addAllowPathCommand(program, fail);
addDoctorCommand(program, fail);
addUpgradeCommand(program, fail);

await program.parseAsync(process.argv).catch(fail);
