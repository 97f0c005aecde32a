import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { HoldfastError } from "@holdfast/shared/protocol";
import type { UpgradeSource } from "./fetch-from-control-plane.js";
import { readUpgradeRequest, requestFile, upgradeDir, verifyPackage } from "./package-file.js";
import { checkForUpgrade } from "./request-upgrade.js";

const run = promisify(execFile);
export const UNIT_FILES = ["holdfast-agent.service", "holdfast-agent-upgrade.service", "holdfast-agent-upgrade.path"];

export type ApplyDeps = {
  dataDir: string;
  /** /opt/holdfast-agent: the symlink swapped. */
  prefix: string;
  /** /opt/holdfast-agent-versions: one dir per version. */
  versionsDir: string;
  /** /etc/systemd/system */
  unitsDir: string;
  /**
   * The control plane as root recorded it at install (/etc/holdfast/upgrade-source.json): the
   * manifest is fetched again from there, so a request the agent's user forged is refused.
   */
  source: UpgradeSource | null;
  arch: string;
  systemctl(args: string[]): Promise<void>;
  /** The run holding the agent's slot, if any: no swap during a backup. */
  runningRun(): Promise<string | null>;
  /** True once the restarted agent stays up. */
  cameUp(): Promise<boolean>;
  sleep(ms: number): Promise<void>;
  busyWaitMs: number;
  pollMs: number;
};

export type ApplyOutcome =
  | { outcome: "nothing-requested" }
  | { outcome: "busy"; version: string; runId: string }
  | { outcome: "applied"; version: string; previous: string | null }
  | { outcome: "rolled-back"; version: string; previous: string };

async function readLink(p: string): Promise<string | null> {
  return fs.promises.readlink(p).catch(() => null);
}

/** ln -s + rename: the prefix always points at a whole version. */
async function pointPrefixAt(prefix: string, target: string): Promise<void> {
  const tmp = `${prefix}.new`;
  await fs.promises.rm(tmp, { force: true });
  await fs.promises.symlink(target, tmp);
  await fs.promises.rename(tmp, prefix);
}

async function installUnits(versionDir: string, unitsDir: string): Promise<void> {
  for (const unit of UNIT_FILES) {
    const from = path.join(versionDir, "share", unit);
    if (fs.existsSync(from)) {
      await fs.promises.copyFile(from, path.join(unitsDir, unit));
      await fs.promises.chmod(path.join(unitsDir, unit), 0o644);
    }
  }
}

/**
 * Root's half of an upgrade (holdfast-agent-upgrade.service): verifies a root-owned copy of the
 * requested package against the control plane's manifest, waits (bounded) while a run holds the
 * slot, unpacks, swaps the prefix, restarts the agent, and puts the previous version back if the new
 * one does not come up. A busy agent leaves the request in place for the next attempt.
 */
export async function applyUpgrade(d: ApplyDeps): Promise<ApplyOutcome> {
  const request = readUpgradeRequest(d.dataDir);
  if (!request) return { outcome: "nothing-requested" };
  if (d.source) {
    const check = await checkForUpgrade(d.source, "", d.arch);
    if (check.available !== request.version || check.package?.sha256 !== request.sha256 || check.package.size !== request.size) {
      throw new HoldfastError("CHECKSUM_MISMATCH", `The upgrade request (${request.version}) does not match the control plane's manifest (${check.available}): refused`, { request });
    }
  }
  await fs.promises.mkdir(d.versionsDir, { recursive: true, mode: 0o755 });
  const staging = await fs.promises.mkdtemp(path.join(d.versionsDir, ".staging-"));
  try {
    // A root-owned copy: the agent's user cannot change it between the check and the unpacking.
    const copy = path.join(staging, request.file);
    await fs.promises.copyFile(path.join(upgradeDir(d.dataDir), request.file), copy);
    await verifyPackage(copy, request);

    const deadline = Date.now() + d.busyWaitMs;
    for (let runId = await d.runningRun(); runId; runId = await d.runningRun()) {
      if (Date.now() >= deadline) return { outcome: "busy", version: request.version, runId };
      await d.sleep(d.pollMs);
    }

    await run("tar", ["-xzf", copy, "-C", staging, "--no-same-owner", "--no-same-permissions"], { timeout: 10 * 60_000 });
    const top = path.join(staging, `holdfast-agent-${request.version}`);
    const version = (await fs.promises.readFile(path.join(top, "VERSION"), "utf8").catch(() => "")).trim();
    if (version !== request.version || !fs.existsSync(path.join(top, "bin/holdfast-agent"))) {
      throw new HoldfastError("CHECKSUM_MISMATCH", `The package does not hold holdfast-agent-${request.version}/bin/holdfast-agent and its VERSION`);
    }
    await run("chmod", ["-R", "go-w", top]);

    const previous = await readLink(d.prefix);
    const dest = path.join(d.versionsDir, request.version);
    if (dest === previous) throw new HoldfastError("ALREADY_EXISTS", `Version ${request.version} is the one installed: nothing to apply`);
    await fs.promises.rm(dest, { recursive: true, force: true });
    await fs.promises.rename(top, dest);
    await pointPrefixAt(d.prefix, dest);
    await installUnits(dest, d.unitsDir);
    await d.systemctl(["daemon-reload"]);
    await d.systemctl(["restart", "holdfast-agent.service"]);

    const done = async () => {
      await fs.promises.rm(requestFile(d.dataDir), { force: true });
      await fs.promises.rm(path.join(upgradeDir(d.dataDir), request.file), { force: true });
    };
    if (await d.cameUp()) {
      await done();
      // The previous version stays for a rollback by hand; older ones go.
      for (const entry of await fs.promises.readdir(d.versionsDir)) {
        const p = path.join(d.versionsDir, entry);
        if (!entry.startsWith(".") && p !== dest && p !== previous) await fs.promises.rm(p, { recursive: true, force: true });
      }
      return { outcome: "applied", version: request.version, previous };
    }
    if (!previous) throw new HoldfastError("PRECONDITION_FAILED", `holdfast-agent ${request.version} did not start and there is no previous version to go back to`);
    await pointPrefixAt(d.prefix, previous);
    await installUnits(previous, d.unitsDir);
    await d.systemctl(["daemon-reload"]);
    await d.systemctl(["restart", "holdfast-agent.service"]);
    await done();
    return { outcome: "rolled-back", version: request.version, previous };
  } finally {
    await fs.promises.rm(staging, { recursive: true, force: true });
  }
}
