import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, readFileSync, statSync, truncateSync, writeFileSync } from "node:fs";
import path from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase, snapshotTables } from "../support/postgres.js";
import { HOLDFAST_BIN, runCli, type Stack, startStack, tempDir, waitFor, waitForRun } from "../support/processes.js";
import { sha256File } from "../support/restore.js";
import { loadBulkData } from "../support/sample-data.js";

// `holdfast backup|runs|restore|keys` against a real control plane, agent and PostgreSQL, as an
// operator's script runs them: the token in the environment, exit codes and --json read back.
describe("holdfast backup, runs, restore and keys over the REST API", () => {
  let stack: Stack;
  let env: Record<string, string>;
  let source: ScratchDatabase;
  let datasourceId: string;
  let destinationId: string;
  const dbs: ScratchDatabase[] = [];
  const work = tempDir("cli-runs");
  // Left by the first test: a completed backup for the downloads, the restore and `keys test`.
  let backup: { runId: string; sha256: string; sizeBytes: number } | undefined;

  const holdfast = (args: string[]) => runCli(HOLDFAST_BIN, args, { env });
  const json = (stdout: string) => JSON.parse(stdout);

  async function postgresDatasource(name: string, db: ScratchDatabase): Promise<string> {
    const ds = await stack.client.post("/datasources", { agentId: stack.agent.agentId, name, engine: "postgres", connection: { host: "127.0.0.1", port: 5432, database: db.name, username: "postgres" } });
    expect(ds.status, JSON.stringify(ds.body)).toBe(201);
    return ds.body.id;
  }

  beforeAll(async () => {
    stack = await startStack();
    const token = await stack.cp.cli(["api-token", "create", "--email", "admin@example.test", "--name", "cli-runs"]);
    expect(token.code, token.stderr).toBe(0);
    env = { HOLDFAST_SERVER: stack.cp.url, HOLDFAST_TOKEN: token.stdout.trim(), HOLDFAST_CONFIG: path.join(work, "no-config.json"), NO_COLOR: "1" };
    source = await createScratchDatabase("hf_clisrc");
    dbs.push(source);
    await loadBulkData(source.url, 6);
    datasourceId = await postgresDatasource("cli source", source);
    const dest = await stack.client.post("/destinations", { name: "local", type: "local", config: { path: tempDir("cli-dest") } });
    expect(dest.status, JSON.stringify(dest.body)).toBe(201);
    destinationId = dest.body.id;
  });

  afterAll(async () => {
    await stack?.stop();
    for (const db of dbs) await db.drop();
  });

  it("backup run --wait delivers to the only destination and exits 0; runs wait/show/list --json read it back", async () => {
    const r = await holdfast(["backup", "run", datasourceId, "--wait"]);
    expect(r.code, r.stderr).toBe(0);
    const runId = /Backup started: run (\S+)/.exec(r.stderr)?.[1];
    expect(runId).toBeDefined();
    expect(r.stderr).toMatch(new RegExp(`Run ${runId} completed, .*sha256 [0-9a-f]{64}`));
    expect(r.stderr).toContain("delivery to local: completed");

    const waited = await holdfast(["runs", "wait", runId!, "--json"]);
    expect(waited.code, waited.stderr).toBe(0);
    const { run, deliveries } = json(waited.stdout);
    expect(run).toMatchObject({ runId, kind: "backup", state: "completed", datasourceId });
    expect(deliveries).toEqual([expect.objectContaining({ destinationId, state: "completed" })]);

    const shown = json((await holdfast(["runs", "show", runId!, "--json"])).stdout);
    expect(shown).toMatchObject({ runId, sha256: run.sha256, deliveries: [expect.objectContaining({ destinationName: "local", state: "completed" })] });
    const listed = json((await holdfast(["runs", "list", "--datasource", datasourceId, "--status", "completed", "--kind", "backup", "--days", "1", "--json"])).stdout);
    expect(listed.map((x: { runId: string }) => x.runId)).toContain(runId);
    const table = await holdfast(["runs", "list", "--datasource", datasourceId]);
    expect(table.stdout).toMatch(new RegExp(`^ID\\s+KIND\\s+STATE[\\s\\S]*${runId}\\s+backup\\s+completed\\s+manual`, "m"));
    const events = json((await holdfast(["runs", "events", runId!, "--json"])).stdout);
    expect(events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(["backupStarted", "backupCompleted"]));
    const logs = await holdfast(["runs", "logs", runId!]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toMatch(/^\S+ INFO  /m);
    // A finished run cannot be cancelled: a conflict (exit 4) with the catalog's code.
    const cancel = await holdfast(["runs", "cancel", runId!]);
    expect(cancel.code).toBe(4);
    expect(cancel.stderr).toContain("INVALID_STATE_TRANSITION");
    backup = { runId: runId!, sha256: run.sha256, sizeBytes: run.sizeBytes };
  });

  it("refuses a bad --option as usage (exit 2) before anything is sent, and an unknown run as not found (exit 3)", async () => {
    const bad = await holdfast(["backup", "run", datasourceId, "--option", "compression.level=high"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/compression\.level: a whole number/);
    const unknown = await holdfast(["runs", "show", "run_doesnotexist0000"]);
    expect(unknown.code, unknown.stderr).toBe(3);
    expect(unknown.stderr).toContain("RUN_NOT_FOUND");
  });

  it("a second backup while one runs is a conflict (exit 4) naming the running run; runs wait on a cancelled run exits 1", async () => {
    // pg_dump waits for a table another session holds exclusively: the backup stays running until released.
    const sql = postgres(source.url, { max: 1, onnotice: () => {} });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const tx = sql.begin(async (t) => {
      await t`LOCK TABLE bulk IN ACCESS EXCLUSIVE MODE`;
      locked();
      await held;
    });
    try {
      await isLocked;
      const first = await holdfast(["backup", "run", datasourceId]);
      expect(first.code, first.stderr).toBe(0);
      const runId = first.stdout.trim();
      await waitForRun(stack.client, runId, (r) => r.state === "running");

      const second = await holdfast(["backup", "run", datasourceId, "--json"]);
      expect(second.code, second.stderr).toBe(4);
      expect(second.stderr).toContain(`already running: run ${runId}`);
      expect(second.stderr).toContain("(BACKUP_ALREADY_RUNNING)");
      expect(json(second.stdout)).toEqual({ runningRunId: runId });

      const waiting = holdfast(["runs", "wait", runId]);
      const cancel = await holdfast(["runs", "cancel", runId]);
      expect(cancel.code, cancel.stderr).toBe(0);
      const waited = await waiting;
      expect(waited.code, waited.stderr).toBe(1);
      expect(waited.stderr).toContain(`Run ${runId} cancelled`);
    } finally {
      release();
      await tx.catch(() => {});
      await sql.end();
    }
  });

  it("backup run --wait exits 1 with the catalog's code when its database is dropped mid-backup, and when it is gone before", async () => {
    const doomed = await createScratchDatabase("hf_clidoomed");
    const setup = postgres(doomed.url, { max: 1, onnotice: () => {} });
    await setup`CREATE TABLE t (id int)`;
    await setup.end();
    const id = await postgresDatasource("doomed", doomed);
    // pg_dump waits for the locked table; dropping the database (FORCE) then ends its connection.
    const sql = postgres(doomed.url, { max: 1, onnotice: () => {} });
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const tx = sql.begin(async (t) => {
      await t`LOCK TABLE t IN ACCESS EXCLUSIVE MODE`;
      locked();
      await new Promise(() => {});
    });
    tx.catch(() => {});
    await isLocked;
    const waiting = holdfast(["backup", "run", id, "--destination", destinationId, "--wait"]);
    const runId = await waitFor("the doomed backup running", async () => (await stack.client.get(`/runs?datasourceId=${id}&state=running`)).body.items[0]?.runId as string | undefined);
    await doomed.drop();
    await sql.end({ timeout: 1 }).catch(() => {});
    const r = await waiting;
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`holdfast: Run ${runId} failed: .*\\([A-Z_]+\\)`));
    expect(r.stderr).not.toMatch(/\n\s+at /);

    // Gone before: the agent refuses to start; the refused run is named.
    const refused = await holdfast(["backup", "run", id, "--destination", destinationId, "--wait"]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stderr).toMatch(/\(DATABASE_NOT_FOUND\)/);
    expect(refused.stderr).toMatch(/run run_\w+ failed/);
  });

  it("runs download writes the artifact whose SHA-256 is the run's", async () => {
    expect(backup).toBeDefined();
    const file = path.join(work, "whole.sql.gz");
    const r = await holdfast(["runs", "download", backup!.runId, "-o", file, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout)).toMatchObject({ runId: backup!.runId, sha256: backup!.sha256, sizeBytes: backup!.sizeBytes, resumedFrom: 0, transferredBytes: backup!.sizeBytes });
    expect(await sha256File(file)).toBe(backup!.sha256);
    expect(existsSync(`${file}.partial`)).toBe(false);
    // An existing file is not replaced without --force.
    const again = await holdfast(["runs", "download", backup!.runId, "-o", file]);
    expect(again.code).toBe(4);
  });

  it("a download cut halfway resumes from its .partial and fetches only the rest", async () => {
    const whole = path.join(work, "whole.sql.gz");
    const file = path.join(work, "resumed.sql.gz");
    const half = Math.floor(backup!.sizeBytes / 2);
    copyFileSync(whole, `${file}.partial`);
    truncateSync(`${file}.partial`, half);
    const r = await holdfast(["runs", "download", backup!.runId, "-o", file, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout)).toMatchObject({ resumedFrom: half, transferredBytes: backup!.sizeBytes - half, sha256: backup!.sha256 });
    expect(await sha256File(file)).toBe(backup!.sha256);
  });

  it("a .partial that is not the artifact's beginning fails the hash check: deleted, exit 1, no file", async () => {
    const whole = path.join(work, "whole.sql.gz");
    const file = path.join(work, "tampered.sql.gz");
    copyFileSync(whole, `${file}.partial`);
    truncateSync(`${file}.partial`, Math.floor(backup!.sizeBytes / 2));
    const bytes = readFileSync(`${file}.partial`);
    bytes[100] = bytes[100]! ^ 0xff;
    writeFileSync(`${file}.partial`, bytes);
    const r = await holdfast(["runs", "download", backup!.runId, "-o", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("CHECKSUM_MISMATCH");
    expect(existsSync(`${file}.partial`)).toBe(false);
    expect(existsSync(file)).toBe(false);
  });

  it("restore --wait fills a fresh database equal to the source", async () => {
    const target = await createScratchDatabase("hf_clirst");
    dbs.push(target);
    const targetId = await postgresDatasource("cli restore target", target);
    const r = await holdfast(["restore", backup!.runId, "--to", targetId, "--wait", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout).run).toMatchObject({ kind: "restore", state: "completed", sourceRunId: backup!.runId });
    const [before, after] = await Promise.all([snapshotTables(source.url), snapshotTables(target.url)]);
    expect(after).toEqual(before);
  });

  it("runs list --all follows the cursor page after page; --limit caps the rows", async () => {
    const all = json((await holdfast(["runs", "list", "--json"])).stdout) as { runId: string }[];
    expect(all.length).toBeGreaterThan(2);
    const paged = json((await holdfast(["runs", "list", "--all", "--limit", "1", "--json"])).stdout) as { runId: string }[];
    expect(paged.map((r) => r.runId)).toEqual(all.map((r) => r.runId));
    const two = json((await holdfast(["runs", "list", "--limit", "2", "--json"])).stdout) as { runId: string }[];
    expect(two.map((r) => r.runId)).toEqual(all.slice(0, 2).map((r) => r.runId));
    const usage = await holdfast(["runs", "list", "--status", "sleeping"]);
    expect(usage.code).toBe(2);
  });

  it("keys generate → an encrypted backup → keys test opens it with that key only", async () => {
    const key = path.join(work, "age.key");
    const other = path.join(work, "other.key");
    const made = await holdfast(["keys", "generate", "-o", key]);
    expect(made.code, made.stderr).toBe(0);
    const recipient = made.stdout.trim();
    expect(recipient).toMatch(/^age1[a-z0-9]{58}$/);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(made.stdout).not.toContain("AGE-SECRET-KEY");
    expect((await holdfast(["keys", "generate", "-o", key])).code).toBe(4);
    expect((await holdfast(["keys", "generate", "-o", other])).code).toBe(0);

    const r = await holdfast(["backup", "run", datasourceId, "--option", `encryption.recipient=${recipient}`, "--wait", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const { run } = json(r.stdout);
    expect(run.artifact).toMatchObject({ encrypted: true, recipient });

    const opens = await holdfast(["keys", "test", run.runId, "--identity-file", key]);
    expect(opens.code, opens.stderr).toBe(0);
    expect(opens.stderr).toContain(`This key opens run ${run.runId}`);
    const refused = await holdfast(["keys", "test", run.runId, "--identity-file", other]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("This key does not open");
    const plain = await holdfast(["keys", "test", backup!.runId, "--identity-file", key]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain("is not encrypted");
    // A key others may read is refused before anything is sent, and never echoed.
    chmodSync(other, 0o644);
    const open = await holdfast(["restore", run.runId, "--to", datasourceId, "--identity-file", other]);
    expect(open.code).toBe(2);
    expect(open.stderr).toContain("may be read by other users");
    expect(open.stderr).not.toContain("AGE-SECRET-KEY");
  });

  it("shows a progress bar with bytes and rate in a terminal (tmux)", async () => {
    const big = await createScratchDatabase("hf_clibig");
    dbs.push(big);
    await loadBulkData(big.url, 40);
    const id = await postgresDatasource("cli big", big);
    const session = `hf-cli-${process.pid}`;
    const vars = Object.entries({ ...env, NO_COLOR: "" }).flatMap(([k, v]) => (v === "" ? [] : ["-e", `${k}=${v}`]));
    const tmux = (...args: string[]) => spawnSync("tmux", args, { encoding: "utf8" });
    // `; sleep` keeps the pane (and what the CLI left on it) after it ended.
    const started = tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "30", ...vars, `${process.execPath} ${HOLDFAST_BIN} backup run ${id} --option compression.codec=gzip --option compression.level=9 --wait; echo EXIT=$?; sleep 600`);
    expect(started.status, started.stderr).toBe(0);
    try {
      const pane = await waitFor("the backup's end in the pane", () => {
        const text = tmux("capture-pane", "-p", "-t", session).stdout;
        return /EXIT=\d/.test(text) ? text : undefined;
      }, 150_000);
      expect(pane).toContain("EXIT=0");
      // The bar's last frame stays on screen: the step, the bytes done and the rate.
      expect(pane).toMatch(/^(dump|compress|stage)\s+\d+(\.\d)?\s(B|kB|MB|GB)\s+\d+(\.\d)?\s(B|kB|MB|GB)\/s/m);
    } finally {
      tmux("kill-session", "-t", session);
    }
  });
});
