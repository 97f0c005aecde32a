import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { ADMIN_PASSWORD, type CliResult, enrollAgent, freePort, HOLDFAST_BIN, runCli, type Stack, startStack, tempDir, waitFor } from "../support/processes.js";

/**
 * `holdfast` over the REST API, as an operator scripts it: login, then agents, enrollment tokens,
 * datasources, destinations, schedules and retention against a real control plane (PostgreSQL
 * storage), a real agent and a real PostgreSQL datasource. One stack, commands in order.
 */
describe("holdfast CLI: resources over the REST API", () => {
  let stack: Stack;
  let storage: ScratchDatabase;
  let source: ScratchDatabase;
  let configFile: string;
  const outputs: CliResult[] = [];
  // The environment of every run: no server or token but the config file's, and no terminal (a pipe).
  const env = () => ({ HOLDFAST_CONFIG: configFile, HOLDFAST_SERVER: "", HOLDFAST_TOKEN: "" });
  const holdfast = async (args: string[], opts: { input?: string; env?: Record<string, string> } = {}) => {
    const r = await runCli(HOLDFAST_BIN, args, { env: { ...env(), ...opts.env }, ...(opts.input === undefined ? {} : { input: opts.input }) });
    outputs.push(r);
    return r;
  };
  const json = (r: CliResult) => {
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  beforeAll(async () => {
    [storage, source] = await Promise.all([createScratchDatabase("hf_cli_cp"), createScratchDatabase("hf_cli_src")]);
    stack = await startStack({ databaseUrl: storage.url });
    configFile = path.join(tempDir("cli-config"), "holdfast", "cli.json");
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all([storage?.drop(), source?.drop()]);
  });

  it("login with the password on stdin writes a 0600 config the next commands use; the password is never in argv", async () => {
    const args = ["login", "--server", stack.cp.url, "--email", "admin@example.test", "--password-stdin"];
    const r = await holdfast(args, { input: `${ADMIN_PASSWORD}\n` });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`Logged in to ${stack.cp.url} as admin@example.test`);
    expect(args.join(" ")).not.toContain(ADMIN_PASSWORD);
    expect(statSync(configFile).mode & 0o777).toBe(0o600);
    const config = JSON.parse(readFileSync(configFile, "utf8"));
    expect(config).toEqual({ server: stack.cp.url, token: expect.stringMatching(/^hf_api_/), tokenId: expect.any(String) });

    const me = json(await holdfast(["whoami", "--json"]));
    expect(me).toMatchObject({ server: stack.cp.url, email: "admin@example.test", role: "admin" });
    // The token is the user's own, named after this host.
    const tokens = (await stack.client.get("/api-tokens")).body.items;
    expect(tokens.find((t: { id: string }) => t.id === config.tokenId)?.name).toMatch(/^cli \S+ \d{4}-\d\d-\d\d$/);
  });

  it.skipIf(spawnSync("tmux", ["-V"]).status !== 0)("login on a terminal asks the e-mail and the password, and the password never shows", async () => {
    const config = path.join(tempDir("cli-tty"), "cli.json");
    const session = `holdfast-login-${process.pid}`;
    const tmux = (...args: string[]) => spawnSync("tmux", args, { encoding: "utf8" });
    const screen = () => tmux("capture-pane", "-p", "-t", session).stdout;
    // The pane stays after the command ends (remain-on-exit), so its last screen can be read.
    tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "30");
    tmux("set-option", "-t", session, "remain-on-exit", "on");
    tmux("respawn-pane", "-k", "-t", session, "env", `HOLDFAST_CONFIG=${config}`, process.execPath, HOLDFAST_BIN, "login", "--server", stack.cp.url);
    try {
      await waitFor("the e-mail question", () => screen().includes("E-mail"));
      tmux("send-keys", "-t", session, "-l", "admin@example.test");
      tmux("send-keys", "-t", session, "Enter");
      await waitFor("the password question", () => screen().includes("Password"));
      tmux("send-keys", "-t", session, "-l", ADMIN_PASSWORD);
      tmux("send-keys", "-t", session, "Enter");
      const last = await waitFor("the login to end", () => (screen().includes("Logged in") ? screen() : undefined));
      expect(last).toContain(`Logged in to ${stack.cp.url} as admin@example.test`);
      expect(last).not.toContain(ADMIN_PASSWORD);
      expect(statSync(config).mode & 0o777).toBe(0o600);
    } finally {
      tmux("kill-session", "-t", session);
    }
  });

  it("login without a terminal and without --email or the password is a usage error", async () => {
    expect((await holdfast(["login", "--server", stack.cp.url, "--password-stdin"], { input: "x", env: { HOLDFAST_CONFIG: path.join(tempDir("cli-none"), "c.json") } })).code).toBe(2);
    expect((await holdfast(["login", "--server", stack.cp.url, "--email", "admin@example.test"], { env: { HOLDFAST_CONFIG: path.join(tempDir("cli-none"), "c.json") } })).code).toBe(2);
  });

  it("agents list and show; an unknown agent is exit 3", async () => {
    const agents = json(await holdfast(["agents", "list", "--json"]));
    expect(agents.map((a: { id: string }) => a.id)).toContain(stack.agent.agentId);
    const table = await holdfast(["agents", "list"]);
    expect(table.stdout).toMatch(/^ID\s+NAME\s+HOST\s+STATUS/);
    expect(table.stdout).toContain(stack.agent.agentId);
    const shown = json(await holdfast(["agents", "show", stack.agent.agentId, "--json"]));
    expect(shown).toMatchObject({ id: stack.agent.agentId, status: "online" });
    expect((await holdfast(["agents", "show", stack.agent.agentId])).stdout).toMatch(/^Engines:\s+.*postgres/m);
    const missing = await holdfast(["agents", "show", "agt_doesnotexist"]);
    expect(missing.code).toBe(3);
    // One line naming the failure, then the catalog's advice; never a stack trace.
    expect(missing.stderr).toMatch(/^holdfast: .*\(AGENT_NOT_FOUND\)\n/);
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });

  it("enroll-token create prints the enroll and run commands, the token only in the environment part; --token-only for scripts", async () => {
    const r = await holdfast(["enroll-token", "create", "--ttl", "10m", "--name", "db-7"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^HOLDFAST_ENROLL_TOKEN=hf_enr_\S+ holdfast-agent enroll --server \S+ --data-dir \/var\/lib\/holdfast-agent$/m);
    expect(r.stdout).toContain("holdfast-agent run --data-dir /var/lib/holdfast-agent");
    const only = await holdfast(["enroll-token", "create", "--token-only"]);
    expect(only.stdout).toMatch(/^hf_enr_\S+\n$/);
    const issued = json(await holdfast(["enroll-token", "create", "--json"]));
    expect(issued).toMatchObject({ token: expect.stringMatching(/^hf_enr_/), commands: { enroll: { argv: expect.any(Array) } } });
    expect((await holdfast(["enroll-token", "create", "--ttl", "3d"])).code).toBe(2);
  });

  let destinationId: string;
  it("destinations create, list, update and test (the probe's times and free space)", async () => {
    const folder = tempDir("cli-dest");
    const created = await holdfast(["destinations", "create", "--type", "local", "--name", "nas", "--path", folder]);
    expect(created.code, created.stderr).toBe(0);
    destinationId = created.stdout.trim();
    expect(json(await holdfast(["destinations", "list", "--json"])).map((d: { id: string }) => d.id)).toContain(destinationId);
    expect((await holdfast(["destinations", "update", destinationId, "--name", "nas-1", "--max-size-gb", "5"])).code).toBe(0);
    expect(json(await holdfast(["destinations", "show", destinationId, "--json"]))).toMatchObject({ name: "nas-1", maxSizeGb: 5 });
    expect((await holdfast(["destinations", "update", destinationId, "--transfer-cap", "2.5"])).code).toBe(0);
    expect((await holdfast(["destinations", "show", destinationId])).stdout).toMatch(/^Transfer cap:\s+2\.5 MiB\/s$/m);
    const zero = await holdfast(["destinations", "update", destinationId, "--transfer-cap", "0"]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain("transferCapMiBps");
    expect((await holdfast(["destinations", "update", destinationId, "--no-transfer-cap"])).code).toBe(0);
    expect(json(await holdfast(["destinations", "show", destinationId, "--json"]))).toMatchObject({ transferCapMiBps: null });

    const probe = await holdfast(["destinations", "test", destinationId]);
    expect(probe.code, probe.stderr).toBe(0);
    expect(probe.stdout).toMatch(/Write:\s+[\d.]+ ms/);
    expect(probe.stdout).toMatch(/Free space:\s+[\d.]+ [kMGT]?B/);
    expect(json(await holdfast(["destinations", "test", destinationId, "--json"]))).toMatchObject({ ok: true, writeMs: expect.any(Number), freeSpaceBytes: expect.any(Number) });
    // A secret for a type that takes none, and an s3 destination without its bucket: refused before sending.
    expect((await holdfast(["destinations", "create", "--type", "local", "--name", "x", "--path", folder, "--secret-stdin"], { input: "s" })).code).toBe(2);
    const noBucket = await holdfast(["destinations", "create", "--type", "s3", "--name", "x", "--access-key-id", "AK", "--secret-stdin"], { input: "s" });
    expect(noBucket.code).toBe(2);
    expect(noBucket.stderr).toMatch(/bucket/);
  });

  let datasourceId: string;
  const DB_PASSWORD = "s3cret-on-stdin-only";
  it("datasources create with the password on stdin (not in argv, masked after), list, show, test, preflight, databases, update", async () => {
    const args = ["datasources", "create", "--agent", stack.agent.agentId, "--name", "shop", "--engine", "postgres", "--host", "127.0.0.1", "--database", source.name, "--user", "postgres", "--password-stdin", "--tag", "prod"];
    const created = await holdfast(args, { input: DB_PASSWORD });
    expect(created.code, created.stderr).toBe(0);
    expect(args.join(" ")).not.toContain(DB_PASSWORD);
    datasourceId = created.stdout.trim();

    const listed = json(await holdfast(["datasources", "list", "--json", "--tag", "prod"]));
    expect(listed).toEqual([expect.objectContaining({ id: datasourceId, name: "shop", engine: "postgres" })]);
    const shown = await holdfast(["datasources", "show", datasourceId]);
    expect(shown.stdout).toContain(`database=${source.name}`);
    expect(shown.stdout).not.toContain(DB_PASSWORD);

    const test = await holdfast(["datasources", "test", datasourceId]);
    expect(test.code, test.stderr).toBe(0);
    expect(test.stdout).toMatch(/Latency:\s+[\d.]+ ms/);
    const pre = await holdfast(["datasources", "preflight", datasourceId, "--json"]);
    const preflight = JSON.parse(pre.stdout);
    expect(pre.code).toBe(preflight.ok ? 0 : 1);
    expect(preflight.toolStatus.tool).toBe("pg_dump");
    const dbs = json(await holdfast(["datasources", "databases", datasourceId, "--json"]));
    expect(dbs.map((d: { name: string }) => d.name)).toContain(source.name);

    expect((await holdfast(["datasources", "update", datasourceId, "--note", "owned by the shop team", "--no-test"])).code).toBe(0);
    expect(json(await holdfast(["datasources", "show", datasourceId, "--json"]))).toMatchObject({ note: "owned by the shop team" });

    // Gentler tools on the database host: niceness and I/O class; a value nice cannot take is refused before any request.
    expect((await holdfast(["datasources", "update", datasourceId, "--nice", "12", "--io-class", "idle"])).code).toBe(0);
    expect((await holdfast(["datasources", "show", datasourceId])).stdout).toMatch(/Priority:\s+nice 12, I\/O class idle/);
    const tooNice = await holdfast(["datasources", "update", datasourceId, "--nice", "25"]);
    expect(tooNice.code).toBe(2);
    expect(tooNice.stderr).toMatch(/priority\.nice/);
    expect((await holdfast(["datasources", "update", datasourceId, "--default-priority"])).code).toBe(0);
    expect(json(await holdfast(["datasources", "show", datasourceId, "--json"])).priority).toBeNull();
  });

  it("datasources from a --file validated with the shared schema; a duplicate name is exit 4; a failing test is exit 1", async () => {
    const dir = tempDir("cli-files");
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ agentId: stack.agent.agentId, name: "x", engine: "sqlite", connection: { path: "relative.db" } }));
    const refused = await holdfast(["datasources", "create", "--file", bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/absolute path/);

    const dup = await holdfast(["datasources", "create", "--agent", stack.agent.agentId, "--name", "shop", "--engine", "sqlite", "--path", "/tmp/x.db", "--no-test"]);
    expect(dup.code).toBe(4);
    expect(dup.stderr).toMatch(/already has a datasource named "shop".*\(ALREADY_EXISTS\)/);

    const file = path.join(dir, "dead.json");
    writeFileSync(file, JSON.stringify({ agentId: stack.agent.agentId, name: "dead", engine: "postgres", connection: { host: "127.0.0.1", port: await freePort(), database: "nope", username: "postgres" } }));
    const dead = await holdfast(["datasources", "create", "--file", file, "--no-test"]);
    expect(dead.code, dead.stderr).toBe(0);
    const failing = await holdfast(["datasources", "test", dead.stdout.trim()]);
    expect(failing.code).toBe(1);
    expect(failing.stdout).toBe("");
    expect(failing.stderr).toMatch(/^holdfast: .*\([A-Z_]+\)\n/);
    expect(failing.stderr).not.toMatch(/\n\s+at /);
  });

  it("schedules create, list, show, next, pause, resume, update; retention preview", async () => {
    const created = await holdfast(["schedules", "create", "--datasource", datasourceId, "--cron", "0 3 * * *", "--timezone", "UTC", "--destination", destinationId, "--keep-daily", "7"]);
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.trim();
    expect(json(await holdfast(["schedules", "list", "--json"]))).toEqual([expect.objectContaining({ id, cron: "0 3 * * *", destinationIds: [destinationId] })]);
    expect((await holdfast(["schedules", "show", id])).stdout).toMatch(/Retention:\s+keepDaily=7/);
    const next = await holdfast(["schedules", "next", id, "-n", "3"]);
    expect(next.stdout.trim().split("\n")).toEqual([expect.stringMatching(/T03:00:00(Z|\+00:00)$/), expect.any(String), expect.any(String)]);

    expect(json(await holdfast(["schedules", "pause", id, "--json"]))).toMatchObject({ paused: true });
    expect(json(await holdfast(["schedules", "next", id, "--json"]))).toEqual([]);
    expect(json(await holdfast(["schedules", "resume", id, "--json"]))).toMatchObject({ paused: false });
    expect((await holdfast(["schedules", "update", id, "--cron", "30 4 * * *"])).code).toBe(0);
    expect(json(await holdfast(["schedules", "show", id, "--json"]))).toMatchObject({ cron: "30 4 * * *" });
    // Blackout windows every day over 04:30, skipped: no next firing left; deferred: at 05:00.
    const everyDay = "mon,tue,wed,thu,fri,sat,sun 04:00-05:00";
    expect((await holdfast(["schedules", "update", id, "--blackout", everyDay, "--blackout", "sat 22:00-02:00", "--blackout-misfire", "skip"])).code).toBe(0);
    expect(json(await holdfast(["schedules", "show", id, "--json"]))).toMatchObject({ blackout: [{ from: "04:00", to: "05:00" }, { days: ["sat"], from: "22:00", to: "02:00" }], blackoutMisfire: "skip" });
    expect((await holdfast(["schedules", "show", id])).stdout).toMatch(/Blackout:\s+mon,tue,wed,thu,fri,sat,sun 04:00-05:00; sat 22:00-02:00 \(UTC; inside: skipped\)/);
    expect(json(await holdfast(["schedules", "next", id, "--json"]))).toEqual([]);
    expect((await holdfast(["schedules", "update", id, "--blackout-misfire", "defer"])).code).toBe(0);
    expect(json(await holdfast(["schedules", "next", id, "--json", "-n", "1"]))).toEqual([expect.stringMatching(/T05:00:00(Z|\+00:00)$/)]);
    const badWindow = await holdfast(["schedules", "update", id, "--blackout", "mon 01:00"]);
    expect(badWindow.code).toBe(2);
    expect(badWindow.stderr).toContain('is not a window such as "mon,tue 01:00-05:00"');
    expect((await holdfast(["schedules", "update", id, "--no-blackout"])).code).toBe(0);
    expect(json(await holdfast(["schedules", "show", id, "--json"]))).toMatchObject({ blackout: [] });

    const preview = json(await holdfast(["retention", "preview", id, "--json", "--keep-weekly", "2"]));
    expect(preview).toMatchObject({ scheduleId: id, policy: { keepWeekly: 2 } });
    expect((await holdfast(["retention", "preview", id])).stderr).toContain("Policy: keepDaily=7 (UTC)");

    expect((await holdfast(["schedules", "delete", id])).code).toBe(2);
    expect((await holdfast(["schedules", "delete", id, "--yes"])).code).toBe(0);
    expect((await holdfast(["schedules", "show", id])).code).toBe(3);
  });

  it("agents update sets blackout windows and a zone; backup run inside one is exit 4 naming it, --force runs it", async () => {
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const around = `mon,tue,wed,thu,fri,sat,sun ${hhmm(Date.now() - 3_600_000)}-${hhmm(Date.now() + 3_600_000)}`;
    const updated = json(await holdfast(["agents", "update", stack.agent.agentId, "--blackout", around, "--timezone", "UTC", "--json"]));
    expect(updated).toMatchObject({ timezone: "UTC", blackout: [expect.objectContaining({ days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] })] });
    expect((await holdfast(["agents", "show", stack.agent.agentId])).stdout).toMatch(new RegExp(`^Blackout:\\s+${around} \\(UTC\\)`, "m"));
    expect((await holdfast(["agents", "update", stack.agent.agentId, "--timezone", "Mars/Base"])).code).toBe(2);
    try {
      const refused = await holdfast(["backup", "run", datasourceId, "--destination", destinationId]);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toContain(`agent window ${around} (UTC)`);
      expect(refused.stderr).toContain("Add --force to run it anyway.");
      const forced = await holdfast(["backup", "run", datasourceId, "--destination", destinationId, "--force", "--wait"]);
      expect(forced.code, forced.stderr).toBe(0);
    } finally {
      expect((await holdfast(["agents", "update", stack.agent.agentId, "--no-blackout"])).code).toBe(0);
    }
  });

  it("usage errors are exit 2: an unknown flag, a missing argument, a bad choice", async () => {
    expect((await holdfast(["datasources", "list", "--frobnicate"])).code).toBe(2);
    expect((await holdfast(["datasources", "show"])).code).toBe(2);
    expect((await holdfast(["datasources", "create", "--engine", "oracle"])).code).toBe(2);
    expect((await holdfast(["schedules", "next", "sch_x", "-n", "many"])).code).toBe(2);
  });

  it("delete refuses without a terminal unless --yes, then retires the datasource (exit 3 after)", async () => {
    const refused = await holdfast(["datasources", "delete", datasourceId]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--yes");
    expect((await holdfast(["datasources", "show", datasourceId])).code).toBe(0);
    const done = json(await holdfast(["datasources", "delete", datasourceId, "--yes", "--json"]));
    expect(done).toMatchObject({ id: datasourceId, deletedAt: expect.any(String) });
    const gone = await holdfast(["datasources", "show", datasourceId]);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/was deleted at/);
    expect((await holdfast(["destinations", "delete", destinationId, "--yes"])).code).toBe(0);
  });

  it("an unreachable server is exit 5 and names the URL", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const r = await holdfast(["agents", "list"], { env: { HOLDFAST_SERVER: url } });
    expect(r.code).toBe(5);
    expect(r.stderr.split("\n")[0]).toBe(`holdfast: Cannot reach the control plane at ${url} (ECONNREFUSED)`);
  });

  it("a config others may read is refused with the chmod to run", async () => {
    chmodSync(configFile, 0o644);
    const r = await holdfast(["agents", "list"]);
    chmodSync(configFile, 0o600);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`chmod 600 ${configFile}`);
  });

  it("logout revokes the token and removes the file; the revoked token is then one line and exit 5; --token-stdin logs in with a token", async () => {
    const { token } = JSON.parse(readFileSync(configFile, "utf8"));
    const out = await holdfast(["logout"]);
    expect(out.code, out.stderr).toBe(0);
    expect(existsSync(configFile)).toBe(false);
    const revoked = await holdfast(["agents", "list"], { env: { HOLDFAST_SERVER: stack.cp.url, HOLDFAST_TOKEN: token } });
    expect(revoked.code).toBe(5);
    expect(revoked.stdout).toBe("");
    expect(revoked.stderr).toMatch(/^holdfast: .*run holdfast login.*\(UNAUTHENTICATED\)\n$/);
    expect((await holdfast(["whoami"])).code).toBe(5);

    const fresh = (await stack.cp.cli(["api-token", "create", "--email", "admin@example.test"])).stdout.trim();
    const login = await holdfast(["login", "--server", stack.cp.url, "--token-stdin"], { input: fresh });
    expect(login.code, login.stderr).toBe(0);
    expect(json(await holdfast(["whoami", "--json"]))).toMatchObject({ email: "admin@example.test" });
    expect((await holdfast(["login", "--server", stack.cp.url, "--token-stdin"], { input: "hf_api_not-a-real-token-at-all-xx" })).code).toBe(5);
  });

  it("completion: the script for bash and zsh, and `holdfast da<Tab>` completes to datasources", async () => {
    for (const shell of ["bash", "zsh"]) {
      const script = await holdfast(["completion", shell]);
      expect(script.code).toBe(0);
      expect(script.stdout).toContain("holdfast complete --");
    }
    const asked = await holdfast(["complete", "--", "da"]);
    expect(asked.stdout.split("\n").map((l) => l.split("\t")[0])).toContain("datasources");
    expect(asked.stdout).not.toMatch(/^destinations/m);
  });

  it.skipIf(!existsSync("/usr/share/bash-completion/bash_completion"))("completion in a real bash (with bash-completion) completes `holdfast da` to datasources", async () => {
    const script = (await holdfast(["completion", "bash"])).stdout;
    const file = path.join(tempDir("cli-comp"), "holdfast.bash");
    writeFileSync(file, script);
    const r = spawnSync(
      "bash",
      ["-c", `holdfast() { "${process.execPath}" "${HOLDFAST_BIN}" "$@"; }; source /usr/share/bash-completion/bash_completion; source "${file}"; COMP_WORDS=(holdfast da); COMP_CWORD=1; COMP_LINE="holdfast da"; COMP_POINT=11; __holdfast_complete 2>/dev/null; printf '%s\\n' "\${COMPREPLY[@]}"`],
      { encoding: "utf8", env: { ...process.env, ...env() } },
    );
    expect(r.stdout.trim()).toBe("datasources");
  });

  it("agents revoke cuts an agent off: shown revoked, and its credentials refused from then on", async () => {
    const spare = await enrollAgent(stack.cp);
    const r = await holdfast(["agents", "revoke", spare.agentId]);
    expect(r.code, r.stderr).toBe(0);
    expect(json(await holdfast(["agents", "show", spare.agentId, "--json"]))).toMatchObject({ id: spare.agentId, status: "revoked" });
    // The revoked agent cannot connect: it stops with EX_CONFIG (78), so its service manager stops restarting it.
    await spare.start();
    expect(await spare.process!.exited).toBe(78);
    expect((await holdfast(["agents", "revoke", "agt_doesnotexist"])).code).toBe(3);
  });

  it("nothing written to a pipe carries an escape code, with or without NO_COLOR", async () => {
    const plain = await holdfast(["agents", "list"], { env: { NO_COLOR: "1" } });
    expect(plain.code).toBe(0);
    for (const r of outputs) {
      expect(r.stdout).not.toContain("\u001b[");
      expect(r.stderr).not.toContain("\u001b[");
    }
  });
});
