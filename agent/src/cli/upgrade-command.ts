import { execFile, spawnSync } from "node:child_process";
import fs from "node:fs";
import { promisify } from "node:util";
import { type Command, Option } from "commander";
import { z } from "zod";
import { HoldfastError, TlsPin } from "@holdfast/shared/protocol";
import { loadEnv } from "../env.js";
import { readIdentity } from "../identity/identity-file.js";
import { AGENT_VERSION } from "../version.js";

/** The upgrade code, loaded when the command runs: `run` never needs it (less idle memory). */
async function loadUpgrade() {
  const [apply, busy, request] = await Promise.all([import("../upgrade/apply-upgrade.js"), import("../upgrade/busy-check.js"), import("../upgrade/request-upgrade.js")]);
  return { ...apply, ...busy, ...request };
}

const run = promisify(execFile);
/** Written by install/agent.sh, root-owned: where root fetches the manifest from (not the agent's files). */
const UPGRADE_SOURCE = "/etc/holdfast/upgrade-source.json";
const UpgradeSource = z.object({ serverUrl: z.url(), pins: z.array(TlsPin).default([]), insecure: z.boolean().default(false) });

async function systemctl(args: string[]): Promise<void> {
  await run("systemctl", args, { timeout: 120_000 });
}

/** Up = active with no restart for 20 s, within 90 s of the restart. */
async function cameUp(): Promise<boolean> {
  const state = async () => {
    const { stdout } = await run("systemctl", ["show", "--property=ActiveState,NRestarts", "holdfast-agent.service"], { timeout: 10_000 });
    return stdout;
  };
  const deadline = Date.now() + 90_000;
  let since = 0;
  let last = "";
  while (Date.now() < deadline) {
    const now = await state();
    if (now.includes("ActiveState=active") && now === last) {
      if (Date.now() - since >= 20_000) return true;
    } else {
      since = Date.now();
      last = now;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return false;
}

/**
 * The running run, asked as the data dir's owner (root would leave root-owned database files behind):
 * this same program with the hidden --running-run flag, under the owner's uid.
 */
function runningRunAsOwner(dataDir: string): Promise<string | null> {
  const { uid, gid } = fs.statSync(dataDir);
  const r = spawnSync(process.execPath, [process.argv[1]!, "upgrade", "--running-run", "--data-dir", dataDir], { uid, gid, encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) throw new HoldfastError("PRECONDITION_FAILED", `Could not read the agent's runs: ${r.stderr.trim()}`);
  return Promise.resolve(r.stdout.trim() || null);
}

export function addUpgradeCommand(program: Command, fail: (err: unknown) => never): void {
  program
    .command("upgrade")
    .description("Fetch the control plane's agent package, verify it and ask the root upgrade unit to install it.")
    .option("--check", "only say whether the control plane offers another version (exit 0 up to date, 10 otherwise)")
    .option("--apply", "as root (holdfast-agent-upgrade.service): install the requested package, restart, roll back on failure")
    .option("--data-dir <dir>", "agent data dir (default: HOLDFAST_DATA_DIR)")
    .addOption(new Option("--running-run", "print the running run id (the busy check --apply makes as the data dir's owner)").hideHelp())
    .action(async (opts: { check?: boolean; apply?: boolean; runningRun?: boolean; dataDir?: string }) => {
      try {
        const env = loadEnv({ dataDir: opts.dataDir });
        const { applyUpgrade, checkForUpgrade, findRunningRunId, requestUpgrade } = await loadUpgrade();
        if (opts.runningRun) {
          process.stdout.write(`${findRunningRunId(env.dataDir) ?? ""}\n`);
          return;
        }
        if (opts.apply) {
          if (process.getuid?.() !== 0) throw new HoldfastError("PRECONDITION_FAILED", "upgrade --apply runs as root (holdfast-agent-upgrade.service does it)");
          const source = fs.existsSync(UPGRADE_SOURCE) ? UpgradeSource.parse(JSON.parse(fs.readFileSync(UPGRADE_SOURCE, "utf8"))) : null;
          const result = await applyUpgrade({
            dataDir: env.dataDir,
            prefix: "/opt/holdfast-agent",
            versionsDir: "/opt/holdfast-agent-versions",
            unitsDir: "/etc/systemd/system",
            source,
            arch: process.arch,
            systemctl,
            runningRun: () => runningRunAsOwner(env.dataDir),
            cameUp,
            sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
            busyWaitMs: 30 * 60_000,
            pollMs: 10_000,
          });
          const say: Record<typeof result.outcome, string> = {
            "nothing-requested": "No upgrade requested.",
            busy: "A backup is still running: the upgrade request stays for the next `holdfast-agent upgrade`.",
            applied: "Upgraded and restarted.",
            "rolled-back": "The new version did not start: the previous one is back and running.",
          };
          process.stderr.write(`${say[result.outcome]}${"version" in result ? ` (${result.version})` : ""}\n`);
          process.exit(result.outcome === "applied" || result.outcome === "nothing-requested" ? 0 : 1);
        }
        const identity = await readIdentity(env.dataDir);
        if (opts.check) {
          const check = await checkForUpgrade(identity, AGENT_VERSION);
          process.stdout.write(check.available === AGENT_VERSION ? `Up to date (${AGENT_VERSION}).\n` : `Version ${check.available} is available (this is ${AGENT_VERSION}).\n`);
          process.exit(check.available === AGENT_VERSION ? 0 : 10);
        }
        const request = await requestUpgrade({ dataDir: env.dataDir, source: identity, current: AGENT_VERSION, now: new Date() });
        process.stdout.write(request ? `Version ${request.version} downloaded and verified; holdfast-agent-upgrade.service installs it.\n` : `Up to date (${AGENT_VERSION}).\n`);
      } catch (err) {
        fail(err);
      }
    });
}
