import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InstallManifest } from "@holdfast/shared";
import { type ApplyDeps, applyUpgrade } from "./apply-upgrade.js";
import { requestFile, upgradeDir } from "./package-file.js";
import { requestUpgrade } from "./request-upgrade.js";

// Both halves of an upgrade on real files and a real HTTP server: the agent's request (download,
// verify, request file) and root's apply (verify again, wait for the slot, swap, roll back).

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holdfast-upgrade-"));
/** A package with the contract's layout; `bin/holdfast-agent` only prints its version. */
function makePackage(version: string): { file: string; sha256: string; size: number } {
  const work = fs.mkdtempSync(path.join(tmp, "pkg-"));
  const top = path.join(work, `holdfast-agent-${version}`);
  fs.mkdirSync(path.join(top, "bin"), { recursive: true });
  fs.mkdirSync(path.join(top, "share"));
  fs.writeFileSync(path.join(top, "bin/holdfast-agent"), `#!/bin/sh\necho ${version}\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(top, "share/holdfast-agent.service"), `# ${version}\n`);
  fs.writeFileSync(path.join(top, "VERSION"), `${version}\n`);
  const file = path.join(tmp, `holdfast-agent-${version}-linux-x64.tar.gz`);
  execFileSync("tar", ["-czf", file, "-C", work, `holdfast-agent-${version}`]);
  const bytes = fs.readFileSync(file);
  return { file, sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
}

let server: http.Server;
let serverUrl: string;
let manifest: InstallManifest;
const served = new Map<string, Buffer>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === "/install/manifest.json") return void res.end(JSON.stringify(manifest));
    const bytes = served.get(req.url ?? "");
    if (!bytes) return void res.writeHead(404).end();
    res.end(bytes);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function publish(version: string, tamper = false) {
  const pkg = makePackage(version);
  const url = `/install/packages/${path.basename(pkg.file)}`;
  const bytes = fs.readFileSync(pkg.file);
  if (tamper) bytes.writeUInt8(bytes.readUInt8(10) ^ 1, 10);
  served.set(url, bytes);
  manifest = { version, protocolVersion: 1, packages: [{ os: "linux", arch: "x64", url, sha256: pkg.sha256, size: pkg.size, nodeVersion: "22.12.0" }] };
}

/** A host with `1.0.0` installed under a temp root; systemctl calls recorded. */
function host(opts: { busyFor?: number; busyWaitMs?: number; comesUp?: boolean } = {}) {
  const root = fs.mkdtempSync(path.join(tmp, "host-"));
  const dataDir = path.join(root, "data");
  fs.mkdirSync(dataDir);
  const versionsDir = path.join(root, "versions");
  const old = path.join(versionsDir, "1.0.0");
  fs.mkdirSync(path.join(old, "share"), { recursive: true });
  fs.writeFileSync(path.join(old, "share/holdfast-agent.service"), "# 1.0.0\n");
  const prefix = path.join(root, "holdfast-agent");
  fs.symlinkSync(old, prefix);
  const unitsDir = path.join(root, "units");
  fs.mkdirSync(unitsDir);
  const calls: string[] = [];
  let busy = opts.busyFor ?? 0;
  const deps: ApplyDeps = {
    dataDir,
    prefix,
    versionsDir,
    unitsDir,
    source: { serverUrl, pins: [] },
    arch: "x64",
    systemctl: async (args) => void calls.push(args.join(" ")),
    runningRun: async () => (busy-- > 0 ? "run_1" : null),
    cameUp: async () => opts.comesUp ?? true,
    sleep: async () => {},
    busyWaitMs: opts.busyWaitMs ?? 60_000,
    pollMs: 1,
  };
  return { root, dataDir, prefix, unitsDir, calls, deps, old };
}

describe("holdfast-agent upgrade", () => {
  it("downloads and verifies the control plane's version, writes the request, and root's apply swaps and restarts", async () => {
    publish("2.0.0");
    const h = host({ busyFor: 2 });
    const request = await requestUpgrade({ dataDir: h.dataDir, source: { serverUrl, pins: [] }, current: "1.0.0", now: new Date(0) });
    expect(request).toMatchObject({ version: "2.0.0", file: "holdfast-agent-2.0.0-linux-x64.tar.gz" });
    expect(fs.statSync(requestFile(h.dataDir)).mode & 0o777).toBe(0o600);

    expect(await applyUpgrade(h.deps)).toEqual({ outcome: "applied", version: "2.0.0", previous: h.old });
    expect(fs.readlinkSync(h.prefix)).toBe(path.join(path.dirname(h.old), "2.0.0"));
    expect(execFileSync(path.join(h.prefix, "bin/holdfast-agent"), { encoding: "utf8" })).toBe("2.0.0\n");
    expect(fs.readFileSync(path.join(h.unitsDir, "holdfast-agent.service"), "utf8")).toBe("# 2.0.0\n");
    expect(h.calls).toEqual(["daemon-reload", "restart holdfast-agent.service"]);
    expect(fs.readdirSync(upgradeDir(h.dataDir))).toEqual([]);
    expect(fs.existsSync(h.old)).toBe(true);
  });

  it("answers null when already at the control plane's version", async () => {
    publish("2.0.0");
    const h = host();
    expect(await requestUpgrade({ dataDir: h.dataDir, source: { serverUrl, pins: [] }, current: "2.0.0", now: new Date(0) })).toBeNull();
    expect(fs.existsSync(requestFile(h.dataDir))).toBe(false);
  });

  it("refuses a package whose SHA-256 differs from the manifest and writes no request", async () => {
    publish("2.0.1", true);
    const h = host();
    await expect(requestUpgrade({ dataDir: h.dataDir, source: { serverUrl, pins: [] }, current: "1.0.0", now: new Date(0) })).rejects.toMatchObject({ code: "CHECKSUM_MISMATCH" });
    expect(fs.readdirSync(upgradeDir(h.dataDir))).toEqual([]);
  });

  it("leaves everything as it was while a backup keeps running past the wait, the request kept", async () => {
    publish("2.0.2");
    const h = host({ busyFor: 1_000, busyWaitMs: 0 });
    await requestUpgrade({ dataDir: h.dataDir, source: { serverUrl, pins: [] }, current: "1.0.0", now: new Date(0) });
    expect(await applyUpgrade(h.deps)).toEqual({ outcome: "busy", version: "2.0.2", runId: "run_1" });
    expect(fs.readlinkSync(h.prefix)).toBe(h.old);
    expect(h.calls).toEqual([]);
    expect(fs.existsSync(requestFile(h.dataDir))).toBe(true);
  });

  it("puts the previous version back when the new one does not come up", async () => {
    publish("2.0.3");
    const h = host({ comesUp: false });
    await requestUpgrade({ dataDir: h.dataDir, source: { serverUrl, pins: [] }, current: "1.0.0", now: new Date(0) });
    expect(await applyUpgrade(h.deps)).toEqual({ outcome: "rolled-back", version: "2.0.3", previous: h.old });
    expect(fs.readlinkSync(h.prefix)).toBe(h.old);
    expect(fs.readFileSync(path.join(h.unitsDir, "holdfast-agent.service"), "utf8")).toBe("# 1.0.0\n");
    expect(h.calls).toEqual(["daemon-reload", "restart holdfast-agent.service", "daemon-reload", "restart holdfast-agent.service"]);
  });

  it("refuses a request the control plane's manifest does not back (forged by the agent's user)", async () => {
    publish("2.0.4");
    const h = host();
    await requestUpgrade({ dataDir: h.dataDir, source: { serverUrl, pins: [] }, current: "1.0.0", now: new Date(0) });
    const forged = JSON.parse(fs.readFileSync(requestFile(h.dataDir), "utf8"));
    fs.writeFileSync(path.join(upgradeDir(h.dataDir), forged.file), "evil");
    forged.sha256 = createHash("sha256").update("evil").digest("hex");
    forged.size = 4;
    fs.writeFileSync(requestFile(h.dataDir), JSON.stringify(forged));
    await expect(applyUpgrade(h.deps)).rejects.toMatchObject({ code: "CHECKSUM_MISMATCH" });
    expect(fs.readlinkSync(h.prefix)).toBe(h.old);
    expect(h.calls).toEqual([]);
  });
});
