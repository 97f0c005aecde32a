import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { chmodSync, copyFileSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { certificatePin, makeSelfSigned } from "@holdfast/shared/node";
import { type BuiltAgentPackage, ensureAgentPackage } from "../support/agent-package.js";
import { unpackDebianRoot } from "../support/debian-root.js";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { type Api, createAdmin, ManagedProcess, ROOT, runProgram, tempDir, waitFor, waitForAgentStatus, waitForRun } from "../support/processes.js";
import { httpsRequest, startTlsControlPlane, type TlsControlPlane, tlsApi } from "../support/tls-control-plane.js";

// The "done when": a fresh Debian root (debootstrap, cached outside the clone), the one-line
// install the control plane's enrollment answer prints, run inside it (chroot, as root) against the
// real control plane on this machine serving TLS itself with a self-signed certificate, pinned; the
// real agent package (npm run package:agent) served from its /install/* routes; no systemd inside, so
// a stand-in systemctl records its calls; the agent started as the unit's ExecStart would, as the
// holdfast user; a real PostgreSQL backup delivered; the script again (repair, then an upgrade once
// the control plane itself is upgraded); holdfast-agent upgrade; --uninstall leaving only the data.
//
// The upgrades need a control plane and a package of another version: both are this checkout's,
// with only the version number changed (controlPlaneOfVersion, packageOfVersion below).

const PATH_IN_ROOT = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const { version: BASE_VERSION } = JSON.parse(readFileSync(path.join(ROOT, "agent/package.json"), "utf8")) as { version: string };
const ARTIFACTS = path.join(ROOT, "tests/.artifacts/install-debootstrap");

/**
 * This checkout's control plane claiming `version` (its manifest offers packages of its own version
 * only): its bin, dist and migrations copied under tests/.artifacts (inside the checkout, so the
 * workspace's node_modules resolve) with package.json's version changed. Returns its bin.
 */
function controlPlaneOfVersion(version: string): string {
  const top = path.join(ARTIFACTS, `cp-${version}`);
  rmSync(top, { recursive: true, force: true });
  const cpDir = path.join(top, "control-plane");
  mkdirSync(cpDir, { recursive: true });
  for (const part of ["bin", "dist", "drizzle"]) cpSync(path.join(ROOT, "control-plane", part), path.join(cpDir, part), { recursive: true });
  const pkg = JSON.parse(readFileSync(path.join(ROOT, "control-plane/package.json"), "utf8")) as { version: string };
  writeFileSync(path.join(cpDir, "package.json"), JSON.stringify({ ...pkg, version }));
  mkdirSync(path.join(top, "install"));
  copyFileSync(path.join(ROOT, "install/agent.sh"), path.join(top, "install/agent.sh"));
  symlinkSync(path.join(ROOT, "web"), path.join(top, "web"));
  return path.join(cpDir, "bin/holdfast.js");
}

/** The real package repacked as `version` (its folder, VERSION and the agent's version changed), with its sidecar, into `dir`. */
function packageOfVersion(base: BuiltAgentPackage, version: string, dir: string): void {
  const work = path.join(dir, `.repack-${version}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  const run = (file: string, args: string[]) => {
    const r = spawnSync(file, args, { encoding: "utf8", maxBuffer: 16 << 20 });
    if (r.status !== 0) throw new Error(`${file} ${args.join(" ")}: ${r.stderr}`);
  };
  run("tar", ["-xzf", base.file, "-C", work]);
  const top = path.join(work, `holdfast-agent-${version}`);
  renameSync(path.join(work, `holdfast-agent-${base.version}`), top);
  writeFileSync(path.join(top, "VERSION"), `${version}\n`);
  const agentPkg = path.join(top, "app/agent/package.json");
  writeFileSync(agentPkg, readFileSync(agentPkg, "utf8").replace(`"version": "${base.version}"`, `"version": "${version}"`));
  const versionJs = path.join(top, "app/agent/dist/version.js");
  const js = readFileSync(versionJs, "utf8");
  expect(js).toContain(`"${base.version}"`);
  writeFileSync(versionJs, js.replace(`"${base.version}"`, `"${version}"`));
  const name = `holdfast-agent-${version}-linux-${base.arch}.tar.gz`;
  run("tar", ["-czf", path.join(dir, name), "--owner=0", "--group=0", "-C", work, `holdfast-agent-${version}`]);
  writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ version, os: "linux", arch: base.arch, nodeVersion: base.nodeVersion }));
  rmSync(work, { recursive: true, force: true });
}

describe("install/agent.sh in a fresh Debian root", () => {
  const work = tempDir("install-deb");
  const root = path.join(work, "root");
  const packages = path.join(work, "packages");
  const dest = tempDir("install-deb-dest");
  let procMounted = false;
  let cp: TlsControlPlane;
  let client: Api;
  let pin: string;
  let base: BuiltAgentPackage;
  let agentProcess: ManagedProcess | undefined;
  let agentId: string;
  let db: ScratchDatabase;
  const seenTokens: string[] = [];
  let before: Set<string>;

  /** Runs a command inside the root as root, with only `env` (plus PATH) in its environment. */
  function inRoot(args: string[], env: Record<string, string> = {}) {
    return runProgram("chroot", [root, ...args], { env: { PATH: PATH_IN_ROOT, ...env }, timeoutMs: 300_000 });
  }

  type InstallCommand = { download: string[]; argv: string[]; env: Record<string, string>; shell: string };
  /** A token made through the API as the console does: its one-line install, as the control plane prints it. */
  async function enrollmentAnswer(): Promise<{ id: string; token: string; install: InstallCommand }> {
    const made = await client.post("/enrollment-tokens", { name: "debian box", ttl: "30m" });
    expect(made.status).toBe(201);
    seenTokens.push(made.body.token);
    return { id: made.body.id, token: made.body.token, install: made.body.commands.install };
  }
  /**
   * The one-liner's second half in /root (where its first half put install.sh), as root. The Debian
   * root has no sudo (debootstrap's minbase) and the chroot already runs as root, so the argv runs
   * without its `sudo --preserve-env=HOLDFAST_ENROLL_TOKEN`: what that keeps (the token in the
   * environment) is passed the same way; installing sudo would only add a package to the cached root.
   */
  function runInstall(cmd: InstallCommand, env: Record<string, string>, argvChange: (argv: string[]) => string[] = (a) => a) {
    expect(cmd.argv.slice(0, 4)).toEqual(["sudo", "--preserve-env=HOLDFAST_ENROLL_TOKEN", "sh", "install.sh"]);
    return inRoot(["env", "-C", "/root", ...argvChange(cmd.argv.slice(2))], env);
  }
  /** The one-liner's first half in /root: the printed curl, pinned, fetching install.sh from the control plane. */
  function download(cmd: InstallCommand, argvChange: (argv: string[]) => string[] = (a) => a) {
    rmSync(inside("root/install.sh"), { force: true });
    return inRoot(["env", "-C", "/root", ...argvChange(cmd.download)]);
  }
  /** The whole printed line: download, then the script with the answer's environment (the token). */
  async function oneLiner(cmd: InstallCommand) {
    const got = await download(cmd);
    expect(got, got.stderr).toMatchObject({ code: 0 });
    return runInstall(cmd, cmd.env);
  }
  /** The script run again by hand on an enrolled host: the same line, without a token. */
  async function again(args: string[] = []) {
    const { install } = await enrollmentAnswer();
    return runInstall(install, {}, (argv) => [...argv, ...args]);
  }
  const systemctlCalls = () => (existsSync(path.join(root, "var/log/systemctl-calls")) ? readFileSync(path.join(root, "var/log/systemctl-calls"), "utf8").trim().split("\n") : []);
  const clearSystemctlCalls = () => rmSync(path.join(root, "var/log/systemctl-calls"), { force: true });
  const inside = (p: string) => path.join(root, p);
  /** Every path in the root but the kernel's and the test's own. */
  function listRoot(): Set<string> {
    const r = spawnSync("find", [root, "-xdev", "-path", inside("proc"), "-prune", "-o", "-print"], { encoding: "utf8", maxBuffer: 256 << 20 });
    return new Set(r.stdout.split("\n").filter(Boolean).map((p) => p.slice(root.length) || "/"));
  }

  /** The control plane stopped and started again as `version` (same data, port and certificate): an operator's upgrade. */
  async function upgradeControlPlane(version: string): Promise<void> {
    packageOfVersion(base, version, packages);
    const bin = controlPlaneOfVersion(version);
    await cp.process.stop();
    const p = ManagedProcess.start(bin, ["serve", "--port", String(cp.port)], cp.env);
    await waitFor(`the control plane ${version} on ${cp.url}`, async () => {
      if (!p.running) throw new Error(`holdfast serve exited:\n${p.output}`);
      const res = await httpsRequest(`${cp.url}/install/manifest.json`, cp.ca).catch(() => undefined);
      return res?.status === 200 && JSON.parse(res.text).version === version;
    });
    cp.process = p;
  }

  function startAgentAsUnit(): ManagedProcess {
    const unit = readFileSync(inside("etc/systemd/system/holdfast-agent.service"), "utf8");
    const field = (k: string) => [...unit.matchAll(new RegExp(`^${k}=(.*)$`, "gm"))].map((m) => m[1]!.trim());
    const user = field("User")[0]!;
    const environment = field("Environment").flatMap((e) => e.split(/\s+/));
    const execStart = field("ExecStart")[0]!.split(/\s+/);
    expect(user).toBe("holdfast");
    // setpriv execs (no fork, unlike runuser): the process stopped at the end is the agent itself.
    const child: ChildProcess = spawn("chroot", [root, "setpriv", `--reuid=${user}`, `--regid=${user}`, "--init-groups", "--", "env", "-i", `PATH=${PATH_IN_ROOT}`, ...environment, "HOLDFAST_HEARTBEAT_MS=5000", ...execStart], { stdio: ["ignore", "pipe", "pipe"] });
    return new ManagedProcess(child);
  }

  beforeAll(async () => {
    mkdirSync(root);
    mkdirSync(packages);
    unpackDebianRoot(root);
    spawnSync("mount", ["-t", "proc", "proc", inside("proc")]);
    procMounted = true;
    // Device nodes the agent and curl open; made here rather than bind-mounting the host's /dev.
    for (const [name, minor] of [["null", 3], ["zero", 5], ["random", 8], ["urandom", 9]] as const) {
      rmSync(inside(`dev/${name}`), { force: true });
      spawnSync("mknod", ["-m", "666", inside(`dev/${name}`), "c", "1", String(minor)]);
    }
    // The stand-in systemctl: records what the script asked of systemd.
    // `show` answers as a unit that is up (what upgrade --apply waits for).
    writeFileSync(
      inside("usr/local/bin/systemctl"),
      `#!/bin/sh\nprintf '%s\\n' "$*" >> /var/log/systemctl-calls\n[ "$1" != show ] || printf 'ActiveState=active\\nNRestarts=0\\n'\n`,
    );
    chmodSync(inside("usr/local/bin/systemctl"), 0o755);

    // The real package (npm run package:agent), served by the control plane from its own folder.
    base = await ensureAgentPackage();
    copyFileSync(base.file, path.join(packages, path.basename(base.file)));
    copyFileSync(`${base.file}.json`, path.join(packages, `${path.basename(base.file)}.json`));
    // A whole-second mtime, so the tampering test can put it back exactly (the hash cache keys on size and mtime).
    utimesSync(path.join(packages, path.basename(base.file)), 1_700_000_000, 1_700_000_000);

    const tls = makeSelfSigned(work, "cp");
    const cert = readFileSync(tls.certFile);
    pin = certificatePin(new X509Certificate(cert));
    cp = await startTlsControlPlane({ certFile: tls.certFile, keyFile: tls.keyFile, ca: cert, env: { HOLDFAST_AGENT_PACKAGES_DIR: packages } });
    client = tlsApi(cp, await createAdmin(cp));
    db = await createScratchDatabase("hf_deb");
    before = listRoot();
  }, 20 * 60_000);

  afterAll(async () => {
    await agentProcess?.stop();
    await cp?.process.stop();
    await db?.drop();
    if (procMounted) spawnSync("umount", [inside("proc")]);
    // Removed only when nothing is mounted inside any more.
    const mounts = readFileSync("/proc/self/mounts", "utf8");
    if (!mounts.includes(` ${root}/`)) rmSync(work, { recursive: true, force: true });
    rmSync(dest, { recursive: true, force: true });
    rmSync(ARTIFACTS, { recursive: true, force: true });
  });

  it("prints a one-liner pinned to the served certificate", async () => {
    const { install } = await enrollmentAnswer();
    expect(install.download).toEqual(["curl", "-fsSL", "-k", "--pinnedpubkey", `sha256//${pin.slice("sha256:".length)}`, `${cp.url}/install/agent.sh`, "-o", "install.sh"]);
    expect(install.argv).toEqual(["sudo", "--preserve-env=HOLDFAST_ENROLL_TOKEN", "sh", "install.sh", "--server", cp.url, "--ca-pin", pin]);
  });

  it("refuses a server whose certificate matches none of the pins, before touching the host", async () => {
    const wrong = `sha256:${Buffer.alloc(32, 7).toString("base64")}`;
    const { install } = await enrollmentAnswer();
    // The printed curl with another pin: curl itself refuses (exit 90), no install.sh.
    const fetched = await download(install, (argv) => argv.map((a) => (a.startsWith("sha256//") ? `sha256//${wrong.slice("sha256:".length)}` : a)));
    expect(fetched.code).toBe(90);
    expect(existsSync(inside("root/install.sh"))).toBe(false);
    // The script (fetched with the right pin) given another --ca-pin: its own pinned curl refuses.
    expect(await download(install)).toMatchObject({ code: 0 });
    const snapshot = listRoot();
    const r = await runInstall(install, install.env, (argv) => argv.map((a) => (a === pin ? wrong : a)));
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(/certificate matches none of the --ca-pin keys/);
    expect(listRoot()).toEqual(snapshot);
    rmSync(inside("root/install.sh"));
    expect(listRoot()).toEqual(before);
  });

  it("refuses a package whose SHA-256 differs from the manifest, leaving the host as it was", async () => {
    const file = path.join(packages, path.basename(base.file));
    const manifest = JSON.parse((await httpsRequest(`${cp.url}/install/manifest.json`, cp.ca)).text);
    expect(manifest.packages).toEqual([expect.objectContaining({ sha256: base.sha256, size: base.size })]);
    const { install } = await enrollmentAnswer();
    expect(await download(install)).toMatchObject({ code: 0 });
    const snapshot = listRoot();
    // One byte flipped in the served file, its size and mtime kept: the manifest still holds the built hash.
    const flip = () => {
      const bytes = readFileSync(file);
      bytes.writeUInt8(bytes.readUInt8(bytes.length - 100) ^ 0xff, bytes.length - 100);
      writeFileSync(file, bytes);
      utimesSync(file, 1_700_000_000, 1_700_000_000);
    };
    flip();
    try {
      expect(JSON.parse((await httpsRequest(`${cp.url}/install/manifest.json`, cp.ca)).text).packages[0].sha256).toBe(base.sha256);
      const r = await runInstall(install, install.env);
      expect(r.code).toBe(1);
      expect(r.stderr.trim().split("\n").at(-1)).toMatch(/SHA-256 does not match the manifest: nothing was installed/);
      expect(listRoot()).toEqual(snapshot);
    } finally {
      flip();
    }
    rmSync(inside("root/install.sh"));
    expect(listRoot()).toEqual(before);
  });

  it("stops with one line on a wrong token, starts nothing, and the same command with a good one then works", async () => {
    const { install } = await enrollmentAnswer();
    expect(await download(install)).toMatchObject({ code: 0 });
    const r = await runInstall(install, { HOLDFAST_ENROLL_TOKEN: "hf_enr_wrong" });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(/^holdfast install: enrollment failed .* run the same command again$/);
    expect(existsSync(inside("opt/holdfast-agent"))).toBe(false);
    expect(existsSync(inside("var/lib/holdfast-agent/identity.json"))).toBe(false);
    expect(existsSync(inside("var/lib/holdfast-agent/.enroll-token"))).toBe(false);
    expect(systemctlCalls()).toEqual([]);
  });

  it("installs with the printed one-liner, enrolls with the pin as the holdfast user and starts the unit", async () => {
    const { install } = await enrollmentAnswer();
    const r = await oneLiner({ ...install, argv: [...install.argv, "--name", "debian-box"] });
    expect(r, r.stderr).toMatchObject({ code: 0 });
    expect(r.stdout).toContain(`Installed holdfast-agent ${BASE_VERSION}`);
    expect(r.stdout).toMatch(/Dump tools found: postgresql\(15\./);
    expect(systemctlCalls()).toEqual(["daemon-reload", "enable --now holdfast-agent.service", "enable --now holdfast-agent-upgrade.path"]);

    expect(readlinkSync(inside("opt/holdfast-agent"))).toBe(`/opt/holdfast-agent-versions/${BASE_VERSION}`);
    const passwd = readFileSync(inside("etc/passwd"), "utf8");
    const uid = Number(/^holdfast:x:(\d+):/m.exec(passwd)?.[1]);
    expect(passwd).toMatch(/^holdfast:x:\d+:\d+::\/var\/lib\/holdfast-agent:\/usr\/sbin\/nologin$/m);
    // Only its own group.
    expect(readFileSync(inside("etc/group"), "utf8").split("\n").filter((l) => /[:,]holdfast(,|$)/.test(l))).toEqual([]);
    const mode = (p: string) => (statSync(inside(p)).mode & 0o7777).toString(8);
    expect([mode("var/lib/holdfast-agent"), statSync(inside("var/lib/holdfast-agent")).uid]).toEqual(["700", uid]);
    expect([mode("etc/holdfast/agent.json"), statSync(inside("etc/holdfast/agent.json")).uid]).toEqual(["600", uid]);
    expect(JSON.parse(readFileSync(inside("etc/holdfast/agent.json"), "utf8"))).toEqual({ servers: [cp.url] });
    expect([mode("etc/holdfast/upgrade-source.json"), statSync(inside("etc/holdfast/upgrade-source.json")).uid]).toEqual(["644", 0]);
    expect(JSON.parse(readFileSync(inside("etc/holdfast/upgrade-source.json"), "utf8"))).toEqual({ serverUrl: cp.url, pins: [pin], insecure: false });
    // The code is root's: the agent's user cannot change what the service runs.
    const code = inside(`opt/holdfast-agent-versions/${BASE_VERSION}`);
    expect(statSync(code).uid).toBe(0);
    expect(spawnSync("find", [code, "-perm", "/022", "!", "-type", "l"], { encoding: "utf8" }).stdout).toBe("");

    const identity = JSON.parse(readFileSync(inside("var/lib/holdfast-agent/identity.json"), "utf8"));
    expect(identity).toMatchObject({ name: "debian-box", serverUrl: cp.url, pins: [pin] });
    agentId = identity.agentId;
    expect(r.stdout).toContain(`as agent ${agentId}`);
  });

  it("the installed agent refuses a control plane that is not the pinned one, sending nothing", async () => {
    const wrong = `sha256:${Buffer.alloc(32, 7).toString("base64")}`;
    const { id, token } = await enrollmentAnswer();
    writeFileSync(inside("tmp/wrong-pin-token"), `${token}\n`, { mode: 0o600 });
    try {
      const r = await inRoot(["/opt/holdfast-agent/bin/holdfast-agent", "enroll", "--server", cp.url, "--ca-pin", wrong, "--data-dir", "/tmp/wrong-pin-data", "--token-file", "/tmp/wrong-pin-token"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/TLS_PIN_MISMATCH|not the pinned control plane/);
      expect(existsSync(inside("tmp/wrong-pin-data/identity.json"))).toBe(false);
      // The token never reached the control plane: still unused.
      expect((await client.get("/enrollment-tokens")).body.items.map((t: { id: string }) => t.id)).toContain(id);
    } finally {
      rmSync(inside("tmp/wrong-pin-token"), { force: true });
      rmSync(inside("tmp/wrong-pin-data"), { recursive: true, force: true });
    }
  });

  it("runs as the unit's ExecStart would and backs up a real PostgreSQL database, delivered", async () => {
    agentProcess = startAgentAsUnit();
    await waitForAgentStatus(client, agentId, "online");
    // Linked over wss, trusted through the pin alone (no NODE_EXTRA_CA_CERTS in the unit's environment).
    expect((await client.get(`/agents/${agentId}`)).body).toMatchObject({ status: "online", linkSecurity: "tls" });
    const ds = await client.post("/datasources", { agentId, name: "deb", engine: "postgres", connection: { host: "127.0.0.1", port: 5432, database: db.name, username: "postgres" } });
    expect(ds.status).toBe(201);
    const d = await client.post("/destinations", { name: "local", type: "local", config: { path: dest } });
    expect(d.status).toBe(201);
    const started = await client.post(`/datasources/${ds.body.id}/backups`, { destinationIds: [d.body.id] });
    expect(started.status).toBe(202);
    const run = await waitForRun(client, started.body.runId, (x) => x.state === "failed" || (x.state === "completed" && x.deliveries.every((y: { state: string }) => y.state === "completed" || y.state === "failed")));
    expect(run, agentProcess.output).toMatchObject({ state: "completed", error: null });
    expect(run.deliveries).toEqual([expect.objectContaining({ state: "completed" })]);
    expect(statSync(run.deliveries[0].path).size).toBeGreaterThan(0);
    await agentProcess.stop();
  });

  it("run again without a token, repairs in place: enrollment skipped, the agent restarted", async () => {
    clearSystemctlCalls();
    rmSync(inside(`opt/holdfast-agent-versions/${BASE_VERSION}/bin/holdfast-agent`)); // broken
    const identityBefore = readFileSync(inside("var/lib/holdfast-agent/identity.json"), "utf8");
    const r = await again();
    expect(r, r.stderr).toMatchObject({ code: 0 });
    expect(r.stdout).toContain("enrollment skipped");
    expect(r.stdout).toContain(`Repaired holdfast-agent ${BASE_VERSION}`);
    expect(existsSync(inside(`opt/holdfast-agent-versions/${BASE_VERSION}/bin/holdfast-agent`))).toBe(true);
    expect(readFileSync(inside("var/lib/holdfast-agent/identity.json"), "utf8")).toBe(identityBefore);
    expect(systemctlCalls()).toEqual(["daemon-reload", "enable --now holdfast-agent.service", "enable --now holdfast-agent-upgrade.path", "restart holdfast-agent.service"]);
  });

  /**
   * A backup holding the agent's slot, as the agent's database would show it (a copy of the finished
   * run, `running`), while the agent is stopped; the connection's close removes its WAL files, so
   * nothing root-owned stays in the data dir.
   */
  function withRunningBackup<T>(fn: () => Promise<T>): Promise<T> {
    const file = inside("var/lib/holdfast-agent/agent.db");
    const edit = (sql: (cols: string[]) => string) => {
      const db = new Database(file);
      try {
        const cols = (db.prepare("PRAGMA table_info(runs)").all() as { name: string }[]).map((c) => c.name);
        db.exec(sql(cols));
      } finally {
        db.close();
      }
    };
    edit((cols) => `INSERT INTO runs (${cols.join(", ")}) SELECT ${cols.map((c) => (c === "run_id" ? "'run_busy'" : c === "state" ? "'running'" : c)).join(", ")} FROM runs LIMIT 1`);
    return fn().finally(() => edit(() => "DELETE FROM runs WHERE run_id = 'run_busy'"));
  }

  it("run again once the control plane is upgraded and offers its newer version, upgrades: symlink swapped, the previous version kept", async () => {
    const next = `${BASE_VERSION}-next`;
    await upgradeControlPlane(next);
    // Never under a running backup: refused with one line, nothing changed.
    const busy = await withRunningBackup(() => again());
    expect(busy.code).toBe(1);
    expect(busy.stderr.trim().split("\n").at(-1)).toBe("holdfast install: a backup is running (run run_busy): run this again when it has finished, or use holdfast-agent upgrade, which waits for it");
    expect(readlinkSync(inside("opt/holdfast-agent"))).toBe(`/opt/holdfast-agent-versions/${BASE_VERSION}`);
    expect(readdirSync(inside("opt/holdfast-agent-versions"))).toEqual([BASE_VERSION]);
    clearSystemctlCalls();
    const r = await again();
    expect(r, r.stderr).toMatchObject({ code: 0 });
    expect(r.stdout).toContain(`Upgraded holdfast-agent from ${BASE_VERSION} to ${next}`);
    expect(readlinkSync(inside("opt/holdfast-agent"))).toBe(`/opt/holdfast-agent-versions/${next}`);
    expect(spawnSync("ls", [inside("opt/holdfast-agent-versions")], { encoding: "utf8" }).stdout.split("\n").filter(Boolean).sort()).toEqual([BASE_VERSION, next].sort());
    expect(systemctlCalls()).toContain("restart holdfast-agent.service");
    expect(r.stderr).not.toContain("could not ask the installed agent");
    agentProcess = startAgentAsUnit();
    await waitForAgentStatus(client, agentId, "online");
    await agentProcess.stop();
  });

  it("holdfast-agent upgrade: the agent's user downloads and requests, root's --apply swaps and restarts", async () => {
    const third = `${BASE_VERSION}-third`;
    const next = `${BASE_VERSION}-next`;
    await upgradeControlPlane(third);
    // The unit's environment only: the agent trusts the self-signed control plane through its pins (no NODE_EXTRA_CA_CERTS).
    const unitEnv = ["HOLDFAST_DATA_DIR=/var/lib/holdfast-agent"];
    const requested = await inRoot(["setpriv", "--reuid=holdfast", "--regid=holdfast", "--init-groups", "--", "env", "-i", `PATH=${PATH_IN_ROOT}`, ...unitEnv, "/opt/holdfast-agent/bin/holdfast-agent", "upgrade"]);
    expect(requested, requested.stderr).toMatchObject({ code: 0, stdout: `Version ${third} downloaded and verified; holdfast-agent-upgrade.service installs it.\n` });
    const request = inside("var/lib/holdfast-agent/upgrade/request.json");
    expect((statSync(request).mode & 0o777).toString(8)).toBe("600");
    expect(JSON.parse(readFileSync(request, "utf8"))).toMatchObject({ version: third });

    clearSystemctlCalls();
    // What holdfast-agent-upgrade.service runs, as root.
    const applied = await inRoot(["env", "-i", `PATH=${PATH_IN_ROOT}`, ...unitEnv, "/opt/holdfast-agent/bin/holdfast-agent", "upgrade", "--apply"]);
    expect(applied, applied.stderr).toMatchObject({ code: 0 });
    expect(applied.stderr).toContain(`Upgraded and restarted. (${third})`);
    expect(readlinkSync(inside("opt/holdfast-agent"))).toBe(`/opt/holdfast-agent-versions/${third}`);
    expect(spawnSync("ls", [inside("opt/holdfast-agent-versions")], { encoding: "utf8" }).stdout.split("\n").filter(Boolean).sort()).toEqual([next, third].sort());
    expect(systemctlCalls().filter((c) => !c.startsWith("show "))).toEqual(["daemon-reload", "restart holdfast-agent.service"]);
    expect(existsSync(request)).toBe(false);
    // The agent's database files are still the agent's (the busy check ran as its owner).
    const owners = spawnSync("find", [inside("var/lib/holdfast-agent"), "!", "-user", String(statSync(inside("var/lib/holdfast-agent")).uid)], { encoding: "utf8" }).stdout;
    expect(owners).toBe("");
  });

  it("leaves no token in any file of the root", () => {
    for (const t of seenTokens) {
      const r = spawnSync("grep", ["-rlF", "--devices=skip", "-e", t, root, "--exclude-dir=proc"], { encoding: "utf8" });
      expect(r.stdout).toBe("");
    }
  });

  it("--uninstall removes what it created, keeps the data dir and the user owning it", async () => {
    clearSystemctlCalls();
    const r = await inRoot(["env", "-C", "/root", "sh", "install.sh", "--uninstall"]);
    expect(r, r.stderr).toMatchObject({ code: 0 });
    expect(systemctlCalls()).toEqual(["disable --now holdfast-agent-upgrade.path", "disable --now holdfast-agent-upgrade.service", "disable --now holdfast-agent.service", "daemon-reload"]);
    const after = listRoot();
    const added = [...after].filter((p) => !before.has(p)).sort();
    const removed = [...before].filter((p) => !after.has(p));
    expect(removed).toEqual([]);
    // Only the data dir remains, besides: the stand-in's log; the operator's downloaded install.sh; useradd's backups of the user
    // database (the user stays, owning the data); the agent's staging dir in /tmp, which under the
    // unit's PrivateTmp= is private to the service and goes with it (no systemd here).
    const expected = (p: string) =>
      p.startsWith("/var/lib/holdfast-agent") || p === "/var/log/systemctl-calls" || p === "/root/install.sh" || p === "/etc/shadow-" || p === "/etc/gshadow-" || p.startsWith("/tmp/holdfast-staging-");
    expect(added.filter((p) => !expected(p))).toEqual([]);
    expect(added).toContain("/var/lib/holdfast-agent/identity.json");
    expect(lstatSync(inside("var/lib/holdfast-agent")).mode & 0o777).toBe(0o700);

    const purged = await inRoot(["env", "-C", "/root", "sh", "install.sh", "--uninstall", "--purge"]);
    expect(purged, purged.stderr).toMatchObject({ code: 0 });
    expect(existsSync(inside("var/lib/holdfast-agent"))).toBe(false);
    expect(readFileSync(inside("etc/passwd"), "utf8")).not.toMatch(/^holdfast:/m);
  });
});
