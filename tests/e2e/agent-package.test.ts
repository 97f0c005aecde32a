import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { HoldfastError, InstallManifest, PROTOCOL_VERSION } from "@holdfast/shared";
import { verifyPackage } from "@holdfast/agent";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BuiltAgentPackage, ensureAgentPackage } from "../support/agent-package.js";
import { type ControlPlane, startControlPlane, tempDir } from "../support/processes.js";

// `npm run package:agent`'s package, unpacked as the install script does and run with its own Node;
// then served by a real control plane, downloaded, and checked against the manifest.
describe("the agent package", () => {
  let pkg: BuiltAgentPackage;
  let unpacked: string;
  let home: string;
  let cp: ControlPlane;

  beforeAll(async () => {
    pkg = await ensureAgentPackage();
    // Size and build time, for the record (docs/install.md quotes them).
    process.stderr.write(`agent package: ${pkg.name}, ${(pkg.size / 1024 / 1024).toFixed(1)} MiB, ${pkg.buildSeconds > 0 ? `built in ${pkg.buildSeconds.toFixed(0)} s` : "reused"}\n`);
    unpacked = tempDir("package");
    execFileSync("tar", ["-xzf", pkg.file, "-C", unpacked]);
    home = path.join(unpacked, `holdfast-agent-${pkg.version}`);
    cp = await startControlPlane({ env: { HOLDFAST_AGENT_PACKAGES_DIR: pkg.dir } });
  }, 20 * 60_000);
  afterAll(async () => {
    await cp?.process.stop();
    if (unpacked) rmSync(unpacked, { recursive: true, force: true });
  });

  it("holds one folder with the launcher, Node, the app, the units and VERSION, and no dev tools", () => {
    expect(readdirSync(unpacked)).toEqual([`holdfast-agent-${pkg.version}`]);
    expect(readdirSync(home).sort()).toEqual(["VERSION", "app", "bin", "node", "share"]);
    expect(readFileSync(path.join(home, "VERSION"), "utf8")).toBe(`${pkg.version}\n`);
    expect(readdirSync(path.join(home, "share"))).toContain("holdfast-agent.service");
    expect(existsSync(path.join(home, "node/include/node/node_version.h"))).toBe(true);
    for (const absent of ["agent/src", "shared/src", "control-plane", "node_modules/vitest", "node_modules/typescript", "node_modules/hono", "node_modules/node-gyp"]) {
      expect(existsSync(path.join(home, "app", absent)), absent).toBe(false);
    }
  });

  it("runs with its bundled Node 22, also through a symlink as /opt/holdfast-agent is", () => {
    const node = spawnSync(path.join(home, "node/bin/node"), ["--version"], { encoding: "utf8" });
    expect(node.stdout.trim()).toBe(`v${pkg.nodeVersion}`);
    expect(pkg.nodeVersion).toMatch(/^22\./);
    const link = path.join(unpacked, "current");
    symlinkSync(home, link);
    for (const launcher of [path.join(home, "bin/holdfast-agent"), path.join(link, "bin/holdfast-agent")]) {
      const run = spawnSync(launcher, ["--version"], { encoding: "utf8", env: { PATH: "/usr/bin:/bin" } });
      expect(run, run.stderr).toMatchObject({ status: 0, stdout: `${pkg.version}\n` });
    }
  });

  it("opens a SQLite database through its own better-sqlite3 under the bundled Node", () => {
    const db = path.join(unpacked, "probe.sqlite");
    const script = "const D = require('better-sqlite3'); const db = new D(process.argv[1]); db.exec('create table t (x)'); db.prepare('insert into t values (?)').run(42); console.log(JSON.stringify({ node: process.version, x: db.prepare('select x from t').get().x }))";
    const run = spawnSync(path.join(home, "node/bin/node"), ["-e", script, db], { cwd: path.join(home, "app"), encoding: "utf8" });
    expect(run, run.stderr).toMatchObject({ status: 0 });
    expect(JSON.parse(run.stdout)).toEqual({ node: `v${pkg.nodeVersion}`, x: 42 });
    // Loaded from the package, not from the checkout's node_modules.
    expect(existsSync(path.join(home, "app/node_modules/better-sqlite3/build/Release/better_sqlite3.node"))).toBe(true);
  });

  it("is listed by the control plane's manifest with its size and SHA-256, without credentials", async () => {
    const res = await fetch(`${cp.url}/install/manifest.json`);
    expect(res.status).toBe(200);
    const manifest = InstallManifest.parse(await res.json());
    expect(manifest).toMatchObject({ version: pkg.version, protocolVersion: PROTOCOL_VERSION });
    expect(manifest.packages).toContainEqual({ os: "linux", arch: pkg.arch, url: `/install/packages/${pkg.name}`, sha256: pkg.sha256, size: pkg.size, nodeVersion: pkg.nodeVersion });
  });

  it("downloads byte for byte what was built, and the download passes verification", async () => {
    const res = await fetch(`${cp.url}/install/packages/${pkg.name}`);
    expect(res.status).toBe(200);
    const downloaded = path.join(unpacked, "download.tar.gz");
    writeFileSync(downloaded, Buffer.from(await res.arrayBuffer()));
    expect(readFileSync(downloaded).equals(readFileSync(pkg.file))).toBe(true);
    await expect(verifyPackage(downloaded, { sha256: pkg.sha256, size: pkg.size })).resolves.toBeUndefined();
  });

  it("refuses a file name that leads out of the packages folder", async () => {
    for (const attempt of ["..%2F..%2Fpackage.json", `..%2Fagent-packages%2F${pkg.name}`, "%2Fetc%2Fpasswd"]) {
      const res = await fetch(`${cp.url}/install/packages/${attempt}`);
      expect(res.status, attempt).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    }
  });

  it("refuses a copy with one byte flipped, as the manifest's SHA-256 says", async () => {
    const tampered = path.join(unpacked, "tampered.tar.gz");
    copyFileSync(pkg.file, tampered);
    const bytes = readFileSync(tampered);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    writeFileSync(tampered, bytes);
    const err = await verifyPackage(tampered, { sha256: pkg.sha256, size: pkg.size }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HoldfastError);
    expect(err).toMatchObject({ code: "CHECKSUM_MISMATCH", details: { expectedSha256: pkg.sha256 } });
    expect((err as HoldfastError).message).toContain("does not match the manifest's SHA-256");
  });
});
