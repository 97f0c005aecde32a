import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AGENT_ROUTES, type CommandPayload } from "@holdfast/shared";
import { PostgresEngine } from "../engines/postgres/engine.js";
import { requireArtifact } from "../staging/staged-artifact.js";
import { startBackup } from "../queue/start-backup.js";
import { saveDatasource } from "../store/datasources.js";
import { readEventsAfter } from "../store/outbox.js";
import { getRun } from "../queue/run-record.js";
import { HeldEngine } from "../testing/engines.js";
import { createDatabase, dropDatabase, PG, psql, uniqueName } from "../testing/helpers.js";
import { setupRunEnv, type RunEnv } from "../testing/run-env.js";
import { downloadArtifact } from "./download-artifact.js";
import { startRestore } from "./start-restore.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const TOKEN = `hf_dl_${"t".repeat(43)}`;

/** The control plane's download route, as far as the agent can tell: token, Range, 206; cuts and corruption on demand. */
function fakeControlPlane() {
  const state = {
    files: new Map<string, Buffer>(),
    /** The first GET is cut after this many bytes (its socket destroyed). */
    cutFirstAfter: null as number | null,
    /** The first GET goes silent after this many bytes, its socket left open. */
    stallFirstAfter: null as number | null,
    corruptAt: null as number | null,
    ranges: [] as Array<string | null>,
  };
  const server = http.createServer((req, res) => {
    const runId = decodeURIComponent((req.url ?? "").slice(`${AGENT_ROUTES.artifacts}/`.length));
    state.ranges.push(req.headers.range ?? null);
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "UNAUTHENTICATED", message: "Missing or invalid download token", retryable: false } }));
      return;
    }
    let body = state.files.get(runId);
    if (!body) {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "RUN_NOT_FOUND", message: "No run", retryable: false } }));
      return;
    }
    if (state.corruptAt !== null) {
      body = Buffer.from(body);
      body[state.corruptAt] = body[state.corruptAt]! ^ 0xff;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    const start = m ? Number(m[1]) : 0;
    const slice = body.subarray(start);
    res.writeHead(m ? 206 : 200, {
      "content-length": String(slice.length),
      ...(m ? { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` } : {}),
    });
    if (state.stallFirstAfter !== null && state.ranges.length === 1) {
      res.write(slice.subarray(0, state.stallFirstAfter));
      return;
    }
    if (state.cutFirstAfter !== null && state.ranges.length === 1) {
      res.write(slice.subarray(0, state.cutFirstAfter), () => setTimeout(() => res.socket?.destroy(), 20));
      return;
    }
    res.end(slice);
  });
  return {
    state,
    start: () => new Promise<string>((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const tablesIn = (db: string) => Number(psql("select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public'", db).trim());

describe("restore transport on the agent", () => {
  const cp = fakeControlPlane();
  let serverUrl: string;
  let env: RunEnv;
  beforeAll(async () => {
    serverUrl = await cp.start();
  });
  afterAll(async () => cp.stop());
  beforeEach(() => {
    env = setupRunEnv({ prefix: "restore" });
    cp.state.cutFirstAfter = null;
    cp.state.stallFirstAfter = null;
    cp.state.corruptAt = null;
    cp.state.ranges = [];
  });
  afterEach(() => env.cleanup());

  function payload(runId: string, sourceRunId: string, datasourceId: string, body: Buffer, overrides: Partial<CommandPayload<"startRestore">> = {}): CommandPayload<"startRestore"> {
    return {
      runId,
      sourceRunId,
      targetDatasourceId: datasourceId,
      sizeBytes: body.length,
      sha256: sha(body),
      fileName: `${sourceRunId}.sql.gz`,
      downloadToken: TOKEN,
      options: {},
      ...overrides,
    };
  }
  const events = (runId: string) => readEventsAfter(env.store, 0).filter((e) => e.runId === runId);

  it("downloads with GET, resumes a cut with Range, into a 0600 file created wx", async () => {
    const body = Buffer.from(Buffer.alloc(2 * 1024 * 1024 + 3, 7).map((_, i) => (i * 31) % 251));
    cp.state.files.set("run_src_a", body);
    cp.state.cutFirstAfter = 300_000;
    const dir = fs.mkdtempSync(path.join(env.dir, "dl-"));
    const file = path.join(dir, "artifact.download");
    const seen: number[] = [];
    const result = await downloadArtifact({
      serverUrl, sourceRunId: "run_src_a", downloadToken: TOKEN, sizeBytes: body.length, file, clock: env.clock,
      signal: new AbortController().signal, backoffMs: 0, onProgress: (b) => seen.push(b),
    });
    expect(result.attempts).toBe(2);
    expect(cp.state.ranges[0]).toBeNull();
    expect(cp.state.ranges[1]).toMatch(/^bytes=\d+-$/);
    expect(Number(cp.state.ranges[1]!.slice(6, -1))).toBeGreaterThan(0);
    expect(fs.readFileSync(file).equals(body)).toBe(true);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(seen.at(-1)).toBe(body.length);
    // wx: an existing file is never reused or overwritten.
    await expect(
      downloadArtifact({ serverUrl, sourceRunId: "run_src_a", downloadToken: TOKEN, sizeBytes: body.length, file, clock: env.clock, signal: new AbortController().signal }),
    ).rejects.toMatchObject({ code: "EEXIST" });
  });

  it("abandons an attempt on which the control plane went silent, and resumes from the bytes held", async () => {
    const body = Buffer.alloc(1024 * 1024 + 9, 3);
    cp.state.files.set("run_src_stall", body);
    cp.state.stallFirstAfter = 100_000;
    const file = path.join(env.dir, "stalled.download");
    const result = await downloadArtifact({
      serverUrl, sourceRunId: "run_src_stall", downloadToken: TOKEN, sizeBytes: body.length, file, clock: env.clock,
      signal: new AbortController().signal, backoffMs: 0, idleTimeoutMs: 300,
    });
    expect(result.attempts).toBe(2);
    expect(cp.state.ranges[1]).toBe("bytes=100000-");
    expect(fs.readFileSync(file).equals(body)).toBe(true);
  });

  it("a refused token ends the download at once: no retries", async () => {
    cp.state.files.set("run_src_b", Buffer.from("abc"));
    const file = path.join(env.dir, "refused.download");
    await expect(
      downloadArtifact({ serverUrl, sourceRunId: "run_src_b", downloadToken: "hf_dl_wrong_token_xxxxxxxxxxxxxxxxxxxxxxxxxxx", sizeBytes: 3, file, clock: env.clock, signal: new AbortController().signal, backoffMs: 0 }),
    ).rejects.toMatchObject({ code: "UNAUTHENTICATED", details: { stage: "download", status: 401 } });
    expect(cp.state.ranges).toHaveLength(1);
  });

  it("takes the one slot: a restore while a backup runs is 409 BACKUP_ALREADY_RUNNING", async () => {
    const held = new HeldEngine();
    env.ctx.engines.postgres = held;
    saveDatasource(env.store, { datasourceId: "ds_busy", name: "busy", engine: "postgres", connection: { ...PG, database: "busy" } });
    await startBackup(env.ctx, { runId: "run_backup_busy", datasourceId: "ds_busy", trigger: "manual", requestedBy: "t" });
    expect(() => startRestore(env.ctx, payload("run_restore_busy", "run_src", "ds_busy", Buffer.from("x")), { serverUrl })).toThrow(
      expect.objectContaining({ code: "BACKUP_ALREADY_RUNNING", details: expect.objectContaining({ runId: "run_backup_busy" }) }),
    );
    expect(getRun(env.store, "run_restore_busy")).toBeNull();
    (await held.nth(0)).finish();
    await env.ctx.slot.whenIdle();
  });

  describe("against real PostgreSQL", () => {
    const source = uniqueName("hf_restore_src");
    const target = uniqueName("hf_restore_dst");
    beforeAll(() => {
      createDatabase(source);
      psql(
        "CREATE TABLE items (id int primary key, name text, price numeric(10,2)); INSERT INTO items SELECT g, 'item ' || g, g * 1.5 FROM generate_series(1, 5000) g; CREATE TABLE tags (item_id int references items(id), tag text); INSERT INTO tags SELECT g, 't' || (g % 7) FROM generate_series(1, 5000, 3) g;",
        source,
      );
    });
    afterAll(() => [source, target].forEach(dropDatabase));
    beforeEach(() => {
      env.ctx.engines.postgres = new PostgresEngine({ tmpDir: env.dir });
      dropDatabase(target);
      createDatabase(target);
      saveDatasource(env.store, { datasourceId: "ds_src", name: source, engine: "postgres", connection: { ...PG, database: source } });
      saveDatasource(env.store, { datasourceId: "ds_dst", name: target, engine: "postgres", connection: { ...PG, database: target } });
    });

    async function backupSource(): Promise<Buffer> {
      await startBackup(env.ctx, { runId: "run_src_real", datasourceId: "ds_src", trigger: "manual", requestedBy: "t" });
      await env.ctx.slot.whenIdle();
      expect(getRun(env.store, "run_src_real")?.state).toBe("completed");
      const artifact = requireArtifact(env.store, "run_src_real");
      const body = fs.readFileSync(artifact.path);
      cp.state.files.set("run_src_real", body);
      return body;
    }

    it("a corrupted byte fails the restore at verify with CHECKSUM_MISMATCH; the target is untouched and the temp files are gone", async () => {
      const body = await backupSource();
      cp.state.corruptAt = Math.floor(body.length / 2);
      const answer = startRestore(env.ctx, payload("run_restore_bad", "run_src_real", "ds_dst", body), { serverUrl, downloadBackoffMs: 0 });
      expect(answer).toEqual({ runId: "run_restore_bad", state: "running" });
      await env.ctx.slot.whenIdle();
      const run = getRun(env.store, "run_restore_bad")!;
      expect(run).toMatchObject({ kind: "restore", state: "failed", restoreStage: "verify", error: { code: "CHECKSUM_MISMATCH" } });
      const failed = events("run_restore_bad").find((e) => e.type === "restoreFailed");
      expect(failed?.data).toMatchObject({ stage: "verify", error: { code: "CHECKSUM_MISMATCH" } });
      expect(events("run_restore_bad").map((e) => e.type)).toEqual(expect.arrayContaining(["restoreStarted", "restoreStep", "restoreProgress", "restoreFailed"]));
      expect(tablesIn(target)).toBe(0);
      expect(fs.existsSync(path.join(env.stagingRoot, "run_restore_bad"))).toBe(false);
    });

    it("restores a real plain SQL gzip backup into a fresh database with equal contents, resuming a cut download", async () => {
      const body = await backupSource();
      cp.state.cutFirstAfter = Math.floor(body.length / 3);
      startRestore(env.ctx, payload("run_restore_ok", "run_src_real", "ds_dst", body), { serverUrl, downloadBackoffMs: 0 });
      await env.ctx.slot.whenIdle();
      const run = getRun(env.store, "run_restore_ok")!;
      expect(run.error).toBeNull();
      expect(run.state).toBe("completed");
      expect(events("run_restore_ok").at(-1)).toMatchObject({ type: "restoreCompleted" });
      const q = "select md5(string_agg(t::text, ',' order by t::text)) from (select * from items) t";
      const q2 = "select md5(string_agg(t::text, ',' order by t::text)) from (select * from tags) t";
      expect(psql(q, target)).toBe(psql(q, source));
      expect(psql(q2, target)).toBe(psql(q2, source));
      expect(fs.existsSync(path.join(env.stagingRoot, "run_restore_ok"))).toBe(false);

      // Again without overwrite: the target now holds tables, so the engine refuses before touching it.
      startRestore(env.ctx, payload("run_restore_again", "run_src_real", "ds_dst", body), { serverUrl, downloadBackoffMs: 0 });
      await env.ctx.slot.whenIdle();
      expect(getRun(env.store, "run_restore_again")).toMatchObject({ state: "failed", restoreStage: "restore", error: { code: "RESTORE_TARGET_NOT_EMPTY" } });
    });
  });
});
