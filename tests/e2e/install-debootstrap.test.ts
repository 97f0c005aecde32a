import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash, createPublicKey } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildFallbackAgentPackage, manifestFor } from "../support/agent-package-fallback.js";
import { unpackDebianRoot } from "../support/debian-root.js";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { AGENT_BIN, api, type Api, type ControlPlane, createAdmin, ManagedProcess, ROOT, runProgram, startControlPlane, tempDir, waitForAgentStatus, waitForRun } from "../support/processes.js";
import { startTlsFront, type TlsFront } from "../support/tls-front-fallback.js";

// The "done when": a fresh Debian root (debootstrap, cached outside the clone), the one-line
// install run inside it (chroot, as root) against a control plane on this machine serving TLS with a
// self-signed certificate, pinned; no systemd inside, so a stand-in systemctl records its calls; the
// agent started as the unit's ExecStart would, as the holdfast user; a real PostgreSQL backup
// delivered; the script again (repair, then an upgrade); --uninstall leaving only the data.
//
// PRE-INTEGRATION FALLBACKS (marked; the integrator swaps them for the real parts):
//  - the package comes from buildFallbackAgentPackage, not h/package's ensureAgentPackage();
//  - TLS and /install/* come from startTlsFront before a plain-HTTP control plane, not from
//    `holdfast serve --tls-cert` and the control plane's own routes (h/tls, h/package);
//  - while the agent has no `enroll --ca-pin` (h/tls), the agent trusts the certificate through
//    NODE_EXTRA_CA_CERTS and the package's launcher drops the pin flags (AGENT_HAS_PINS below).

const SCRIPT = path.join(ROOT, "install/agent.sh");
const AGENT_HAS_PINS = spawnSync(process.execPath, [AGENT_BIN, "enroll", "--help"], { encoding: "utf8" }).stdout.includes("--ca-pin");
const PATH_IN_ROOT = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
const { version: BASE_VERSION } = JSON.parse(readFileSync(path.join(ROOT, "agent/package.json"), "utf8")) as { version: string };

/** `sha256:<base64>` of the certificate's SubjectPublicKeyInfo: what --ca-pin and curl's pin check. */
function pinOf(certPem: string): string {
  const spki = createPublicKey(certPem).export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(spki).digest("base64")}`;
}

function selfSignedCert(dir: string): { cert: string; key: string } {
  const certFile = path.join(dir, "cert.pem");
  const keyFile = path.join(dir, "key.pem");
  const r = spawnSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
  return { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") };
}

describe("install/agent.sh in a fresh Debian root", () => {
  const work = tempDir("install-deb");
  const root = path.join(work, "root");
  const packages = path.join(work, "packages");
  const dest = tempDir("install-deb-dest");
  let procMounted = false;
  let cp: ControlPlane;
  let client: Api;
  let front: TlsFront;
  let pin: string;
  let agentProcess: ManagedProcess | undefined;
  let agentId: string;
  let token: string;
  let db: ScratchDatabase;
  const seenTokens: string[] = [];
  let before: Set<string>;

  /**
   * Runs a command inside the root as root, with only `env` (plus PATH) in its environment. Async:
   * the TLS front answering it lives in this process.
   */
  function inRoot(args: string[], env: Record<string, string> = {}) {
    return runProgram("chroot", [root, ...args], { env: { PATH: PATH_IN_ROOT, ...env }, timeoutMs: 300_000 });
  }
  /** The one-line install's second half: the downloaded script run with sh, the token in the environment. */
  function install(args: string[], env: Record<string, string> = {}) {
    const extra: Record<string, string> = AGENT_HAS_PINS ? {} : { NODE_EXTRA_CA_CERTS: "/etc/holdfast-test-ca.pem" }; // PRE-INTEGRATION FALLBACK
    return inRoot(["sh", "/root/install.sh", ...args], { ...extra, ...env });
  }
  const systemctlCalls = () => (existsSync(path.join(root, "var/log/systemctl-calls")) ? readFileSync(path.join(root, "var/log/systemctl-calls"), "utf8").trim().split("\n") : []);
  const clearSystemctlCalls = () => rmSync(path.join(root, "var/log/systemctl-calls"), { force: true });
  const inside = (p: string) => path.join(root, p);
  /** Every path in the root but the kernel's and the test's own. */
  function listRoot(): Set<string> {
    const r = spawnSync("find", [root, "-xdev", "-path", inside("proc"), "-prune", "-o", "-print"], { encoding: "utf8", maxBuffer: 256 << 20 });
    return new Set(r.stdout.split("\n").filter(Boolean).map((p) => p.slice(root.length) || "/"));
  }

  /** Serves `version`'s package and manifest (PRE-INTEGRATION FALLBACK: the control plane will). */
  const built = new Map<string, ReturnType<typeof buildFallbackAgentPackage>>();
  function publish(version: string, tamper = false): void {
    if (!built.has(version)) built.set(version, buildFallbackAgentPackage(version, packages, { dropPinFlags: !AGENT_HAS_PINS }));
    const { file, entry } = built.get(version)!;
    const bytes = readFileSync(file);
    if (tamper) bytes.writeUInt8(bytes.readUInt8(bytes.length - 100) ^ 0xff, bytes.length - 100);
    front.files.clear();
    front.files.set("/install/agent.sh", readFileSync(SCRIPT));
    front.files.set("/install/manifest.json", Buffer.from(JSON.stringify(manifestFor(version, [entry]))));
    front.files.set(entry.url, bytes);
  }

  function startAgentAsUnit(): ManagedProcess {
    const unit = readFileSync(inside("etc/systemd/system/holdfast-agent.service"), "utf8");
    const field = (k: string) => [...unit.matchAll(new RegExp(`^${k}=(.*)$`, "gm"))].map((m) => m[1]!.trim());
    const user = field("User")[0]!;
    const environment = field("Environment").flatMap((e) => e.split(/\s+/));
    const execStart = field("ExecStart")[0]!.split(/\s+/);
    expect(user).toBe("holdfast");
    const extra = AGENT_HAS_PINS ? [] : ["NODE_EXTRA_CA_CERTS=/etc/holdfast-test-ca.pem"]; // PRE-INTEGRATION FALLBACK
    // setpriv execs (no fork, unlike runuser): the process stopped at the end is the agent itself.
    const child: ChildProcess = spawn("chroot", [root, "setpriv", `--reuid=${user}`, `--regid=${user}`, "--init-groups", "--", "env", "-i", `PATH=${PATH_IN_ROOT}`, ...environment, ...extra, "HOLDFAST_HEARTBEAT_MS=5000", ...execStart], { stdio: ["ignore", "pipe", "pipe"] });
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
    writeFileSync(inside("root/install.sh"), readFileSync(SCRIPT));

    const tls = selfSignedCert(work);
    pin = pinOf(tls.cert);
    if (!AGENT_HAS_PINS) writeFileSync(inside("etc/holdfast-test-ca.pem"), tls.cert); // PRE-INTEGRATION FALLBACK
    cp = await startControlPlane();
    client = api(cp, await createAdmin(cp));
    front = await startTlsFront({ cert: tls.cert, key: tls.key, target: cp.url }); // PRE-INTEGRATION FALLBACK
    publish(BASE_VERSION);
    db = await createScratchDatabase("hf_deb");
    before = listRoot();
  }, 600_000);

  afterAll(async () => {
    await agentProcess?.stop();
    await front?.close();
    await cp?.process.stop();
    await db?.drop();
    if (procMounted) spawnSync("umount", [inside("proc")]);
    // Removed only when nothing is mounted inside any more.
    const mounts = readFileSync("/proc/self/mounts", "utf8");
    if (!mounts.includes(` ${root}/`)) rmSync(work, { recursive: true, force: true });
    rmSync(dest, { recursive: true, force: true });
  });

  const token1 = async () => {
    const t = (await cp.cli(["token", "create"])).stdout.trim();
    seenTokens.push(t);
    return t;
  };

  it("refuses a server whose certificate matches none of the pins, before touching the host", async () => {
    const wrong = `sha256:${Buffer.alloc(32, 7).toString("base64")}`;
    const r = await install(["--server", front.url, "--ca-pin", wrong], { HOLDFAST_ENROLL_TOKEN: await token1() });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(/certificate matches none of the --ca-pin keys/);
    expect(listRoot()).toEqual(before);
  });

  it("refuses a package whose SHA-256 differs from the manifest, leaving the host as it was", async () => {
    publish(BASE_VERSION, true);
    const r = await install(["--server", front.url, "--ca-pin", pin], { HOLDFAST_ENROLL_TOKEN: await token1() });
    publish(BASE_VERSION);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(/SHA-256 does not match the manifest: nothing was installed/);
    expect(listRoot()).toEqual(before);
  });

  it("stops with one line on a wrong token, starts nothing, and the same command with a good one then works", async () => {
    const r = await install(["--server", front.url, "--ca-pin", pin], { HOLDFAST_ENROLL_TOKEN: "hf_enr_wrong" });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(/^holdfast install: enrollment failed .* run the same command again$/);
    expect(existsSync(inside("opt/holdfast-agent"))).toBe(false);
    expect(existsSync(inside("var/lib/holdfast-agent/identity.json"))).toBe(false);
    expect(existsSync(inside("var/lib/holdfast-agent/.enroll-token"))).toBe(false);
    expect(systemctlCalls()).toEqual([]);
  });

  it("installs, enrolls with the pin as the holdfast user and starts the unit", async () => {
    token = await token1();
    const r = await install(["--server", front.url, "--ca-pin", pin, "--name", "debian-box"], { HOLDFAST_ENROLL_TOKEN: token });
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
    expect(JSON.parse(readFileSync(inside("etc/holdfast/agent.json"), "utf8"))).toEqual({ servers: [front.url] });
    expect([mode("etc/holdfast/upgrade-source.json"), statSync(inside("etc/holdfast/upgrade-source.json")).uid]).toEqual(["644", 0]);
    expect(JSON.parse(readFileSync(inside("etc/holdfast/upgrade-source.json"), "utf8"))).toEqual({ serverUrl: front.url, pins: [pin] });
    // The code is root's: the agent's user cannot change what the service runs.
    const code = inside(`opt/holdfast-agent-versions/${BASE_VERSION}`);
    expect(statSync(code).uid).toBe(0);
    expect(spawnSync("find", [code, "-perm", "/022", "!", "-type", "l"], { encoding: "utf8" }).stdout).toBe("");

    const identity = JSON.parse(readFileSync(inside("var/lib/holdfast-agent/identity.json"), "utf8"));
    expect(identity).toMatchObject({ name: "debian-box", serverUrl: front.url });
    if (AGENT_HAS_PINS) expect(identity.pins).toEqual([pin]);
    agentId = identity.agentId;
    expect(r.stdout).toContain(`as agent ${agentId}`);
  });

  it("runs as the unit's ExecStart would and backs up a real PostgreSQL database, delivered", async () => {
    agentProcess = startAgentAsUnit();
    await waitForAgentStatus(client, agentId, "online");
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
    const r = await install(["--server", front.url, "--ca-pin", pin]);
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

  it("run again when the control plane offers a newer version, upgrades: symlink swapped, the previous version kept", async () => {
    const next = `${BASE_VERSION}-next`;
    publish(next);
    // Never under a running backup: refused with one line, nothing changed.
    const busy = await withRunningBackup(() => install(["--server", front.url, "--ca-pin", pin]));
    expect(busy.code).toBe(1);
    expect(busy.stderr.trim().split("\n").at(-1)).toBe("holdfast install: a backup is running (run run_busy): run this again when it has finished, or use holdfast-agent upgrade, which waits for it");
    expect(readlinkSync(inside("opt/holdfast-agent"))).toBe(`/opt/holdfast-agent-versions/${BASE_VERSION}`);
    expect(readdirSync(inside("opt/holdfast-agent-versions"))).toEqual([BASE_VERSION]);
    clearSystemctlCalls();
    const r = await install(["--server", front.url, "--ca-pin", pin]);
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
    publish(third);
    const unitEnv = ["HOLDFAST_DATA_DIR=/var/lib/holdfast-agent", ...(AGENT_HAS_PINS ? [] : ["NODE_EXTRA_CA_CERTS=/etc/holdfast-test-ca.pem"])]; // PRE-INTEGRATION FALLBACK: the CA
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
    const r = await install(["--uninstall"]);
    expect(r, r.stderr).toMatchObject({ code: 0 });
    expect(systemctlCalls()).toEqual(["disable --now holdfast-agent-upgrade.path", "disable --now holdfast-agent-upgrade.service", "disable --now holdfast-agent.service", "daemon-reload"]);
    const after = listRoot();
    const added = [...after].filter((p) => !before.has(p)).sort();
    const removed = [...before].filter((p) => !after.has(p));
    expect(removed).toEqual([]);
    // Only the data dir remains, besides: the stand-in's log; useradd's backups of the user
    // database (the user stays, owning the data); the agent's staging dir in /tmp, which under the
    // unit's PrivateTmp= is private to the service and goes with it (no systemd here).
    const expected = (p: string) =>
      p.startsWith("/var/lib/holdfast-agent") || p === "/var/log/systemctl-calls" || p === "/etc/shadow-" || p === "/etc/gshadow-" || p.startsWith("/tmp/holdfast-staging-");
    expect(added.filter((p) => !expected(p))).toEqual([]);
    expect(added).toContain("/var/lib/holdfast-agent/identity.json");
    expect(lstatSync(inside("var/lib/holdfast-agent")).mode & 0o777).toBe(0o700);

    const purged = await install(["--uninstall", "--purge"]);
    expect(purged, purged.stderr).toMatchObject({ code: 0 });
    expect(existsSync(inside("var/lib/holdfast-agent"))).toBe(false);
    expect(readFileSync(inside("etc/passwd"), "utf8")).not.toMatch(/^holdfast:/m);
  });
});
