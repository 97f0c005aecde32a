import os from "node:os";
import { existsSync } from "node:fs";
import { HoldfastError } from "@holdfast/shared/protocol";
import { loadEnv } from "../env.js";
import type { Command } from "commander";

const INSTALLED_CONFIG = "/etc/holdfast/agent.json";
const INSTALLED_DATA_DIR = "/var/lib/holdfast-agent";

/** The checks, loaded when doctor runs: `run` never needs them (less idle memory). */
async function loadDoctor() {
  const [finding, render, run] = await Promise.all([import("../doctor/finding.js"), import("../doctor/render.js"), import("../doctor/run-doctor.js")]);
  return { ...finding, ...render, ...run };
}

/** The settings as `run` reads them; without a data dir anywhere, the install's. */
async function loadEnvOr(dataDir: string | undefined, config: string | undefined, hasDataDir: boolean) {
  try {
    return loadEnv({ dataDir, config });
  } catch (err) {
    if (hasDataDir || !(err instanceof HoldfastError) || !/No data dir/.test(err.message)) throw err;
    return loadEnv({ dataDir: INSTALLED_DATA_DIR, config });
  }
}

/** `holdfast-agent doctor [--json] [--data-dir DIR]`: exit 0 all fine, 1 warnings, 2 failures. */
export function addDoctorCommand(program: Command, _fail: (err: unknown) => never): void {
  program
    .command("doctor")
    .description("Check this host for the agent: dump tools, data and staging dirs, free space, the control plane (DNS, TCP, TLS pin, HTTP, clock), enrollment, the unit. Exit 0 ok, 1 warnings, 2 failures.")
    .option("--json", "one JSON document on stdout, for scripts")
    .option("--data-dir <dir>", "agent data dir (default: HOLDFAST_DATA_DIR, the config file's, else /var/lib/holdfast-agent)")
    .option("--config <file>", `the agent's config file (default: HOLDFAST_AGENT_CONFIG, else ${INSTALLED_CONFIG} when it exists)`)
    .action(async (opts: { json?: boolean; dataDir?: string; config?: string }) => {
      try {
        // Doctor is run by hand on installed hosts, where the variables live only in the unit: fall back
        // to the install's paths, so it looks at what the service uses.
        const config = opts.config ?? process.env.HOLDFAST_AGENT_CONFIG ?? (existsSync(INSTALLED_CONFIG) ? INSTALLED_CONFIG : undefined);
        const hasDataDir = opts.dataDir !== undefined || process.env.HOLDFAST_DATA_DIR !== undefined;
        const env = await loadEnvOr(opts.dataDir, config, hasDataDir);
        const { exitCodeOf, renderJson, renderText, runDoctor } = await loadDoctor();
        const findings = await runDoctor({ dataDir: env.dataDir, tmpDir: os.tmpdir(), pgBinRoot: env.pgBinRoot, servers: env.servers });
        process.stdout.write(opts.json ? renderJson(findings) : renderText(findings));
        process.exitCode = exitCodeOf(findings);
      } catch (err) {
        // Not fail()'s exit 1: to a script reading the exit code, a doctor that could not look is a failure, not a warning.
        process.stderr.write(`holdfast-agent doctor: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(2);
      }
    });
}
