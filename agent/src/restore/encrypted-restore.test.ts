import { createHash } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AGENT_ROUTES, type BackupOptions, type CommandPayload } from "@holdfast/shared";
import { PostgresEngine } from "../engines/postgres/engine.js";
import { createLogger } from "../log.js";
import { requireArtifact } from "../staging/staged-artifact.js";
import { startBackup } from "../queue/start-backup.js";
import { saveDatasource } from "../store/datasources.js";
import { readEventsAfter } from "../store/outbox.js";
import { getRun } from "../queue/run-record.js";
import { createDatabase, dropDatabase, PG, psql, uniqueName } from "../testing/helpers.js";
import { setupRunEnv, type RunEnv } from "../testing/run-env.js";
import { startRestore } from "./start-restore.js";

const TOKEN = `hf_dl_${"e".repeat(43)}`;
const MARKER = "HOLDFAST-PLAINTEXT-MARKER-7f3a";

/** The control plane's download route, reduced to what these tests need. */
function fakeControlPlane() {
  const files = new Map<string, Buffer>();
  const server = http.createServer((req, res) => {
    const body = files.get(decodeURIComponent((req.url ?? "").slice(`${AGENT_ROUTES.artifacts}/`.length)));
    if (req.headers.authorization !== `Bearer ${TOKEN}` || !body) return void res.writeHead(404).end();
    res.writeHead(200, { "content-length": String(body.length) }).end(body);
  });
  return {
    files,
    start: () => new Promise<string>((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const tablesIn = (db: string) => Number(psql("select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public'", db).trim());
const digest = (table: string) => `select md5(string_agg(t::text, ',' order by t::text)) from (select * from ${table}) t`;

describe("encrypted backups (age) against real PostgreSQL", () => {
  const cp = fakeControlPlane();
  const source = uniqueName("hf_enc_src");
  const target = uniqueName("hf_enc_dst");
  let serverUrl: string;
  let env: RunEnv;
  let logText: string;
  let identity: string;
  let recipient: string;

  beforeAll(async () => {
    serverUrl = await cp.start();
    identity = await generateX25519Identity();
    recipient = await identityToRecipient(identity);
    createDatabase(source);
    psql(
      `CREATE TABLE notes (id int primary key, body text); INSERT INTO notes SELECT g, '${MARKER} ' || g FROM generate_series(1, 3000) g;
       CREATE TABLE prices (id int primary key, price numeric(10,2)); INSERT INTO prices SELECT g, g * 1.25 FROM generate_series(1, 3000) g;`,
      source,
    );
  });
  afterAll(async () => {
    [source, target].forEach(dropDatabase);
    await cp.stop();
  });
  beforeEach(() => {
    env = setupRunEnv({ prefix: "enc" });
    logText = "";
    const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => ((logText += chunk.toString()), cb()) });
    env.ctx.log = createLogger("debug", {}, sink as never);
    env.ctx.engines.postgres = new PostgresEngine({ tmpDir: env.dir });
    dropDatabase(target);
    createDatabase(target);
    saveDatasource(env.store, { datasourceId: "ds_src", name: source, engine: "postgres", connection: { ...PG, database: source } });
    saveDatasource(env.store, { datasourceId: "ds_dst", name: target, engine: "postgres", connection: { ...PG, database: target } });
  });
  afterEach(() => env.cleanup());

  async function encryptedBackup(runId: string, options: BackupOptions): Promise<{ body: Buffer; fileName: string }> {
    await startBackup(env.ctx, { runId, datasourceId: "ds_src", trigger: "manual", requestedBy: "t", options });
    await env.ctx.slot.whenIdle();
    expect(getRun(env.store, runId)).toMatchObject({ state: "completed", error: null });
    const artifact = requireArtifact(env.store, runId);
    const body = fs.readFileSync(artifact.path);
    cp.files.set(runId, body);
    return { body, fileName: artifact.path.slice(artifact.path.lastIndexOf("/") + 1) };
  }

  function restorePayload(runId: string, sourceRunId: string, a: { body: Buffer; fileName: string }, options: CommandPayload<"startRestore">["options"]): CommandPayload<"startRestore"> {
    return {
      runId,
      sourceRunId,
      targetDatasourceId: "ds_dst",
      sizeBytes: a.body.length,
      sha256: createHash("sha256").update(a.body).digest("hex"),
      fileName: a.fileName,
      downloadToken: TOKEN,
      options,
    };
  }

  it("stages ciphertext only (no marker even without compression) and restores with the right identity; the key is in no log", async () => {
    const a = await encryptedBackup("run_enc_plain", { compression: { codec: "none" }, encryption: { recipient } });
    expect(a.fileName).toBe("run_enc_plain.sql.age");
    expect(a.body.subarray(0, 21).toString()).toBe("age-encryption.org/v1");
    expect(a.body.includes(Buffer.from(MARKER))).toBe(false);
    expect(a.body.includes(Buffer.from("CREATE TABLE"))).toBe(false);
    const completed = readEventsAfter(env.store, 0).find((e) => e.runId === "run_enc_plain" && e.type === "backupCompleted");
    expect(completed?.data).toMatchObject({ encrypted: true, recipient, sha256: createHash("sha256").update(a.body).digest("hex"), sizeBytes: a.body.length });

    const payload = restorePayload("run_enc_restore", "run_enc_plain", a, { identity });
    startRestore(env.ctx, payload, { serverUrl, downloadBackoffMs: 0 });
    await env.ctx.slot.whenIdle();
    expect(getRun(env.store, "run_enc_restore")).toMatchObject({ state: "completed", error: null });
    expect(psql(digest("notes"), target)).toBe(psql(digest("notes"), source));
    expect(psql(digest("prices"), target)).toBe(psql(digest("prices"), source));

    // Whatever logs the command's payload, the identity is censored.
    env.ctx.log.info({ payload, options: payload.options }, "payload as a careless caller would log it");
    expect(logText).toContain("restore started");
    expect(logText).toContain("[REDACTED]");
    expect(logText).not.toContain(identity);
    expect(logText).not.toContain(identity.slice(16, 40));
    expect(JSON.stringify(getRun(env.store, "run_enc_restore"))).not.toContain(identity);
  });

  it("restores a custom-format zstd encrypted backup", async () => {
    const a = await encryptedBackup("run_enc_custom", { format: "custom", compression: { codec: "zstd" }, encryption: { recipient } });
    expect(a.fileName).toBe("run_enc_custom.dump.zst.age");
    startRestore(env.ctx, restorePayload("run_enc_restore_c", "run_enc_custom", a, { identity }), { serverUrl, downloadBackoffMs: 0 });
    await env.ctx.slot.whenIdle();
    expect(getRun(env.store, "run_enc_restore_c")).toMatchObject({ state: "completed", error: null });
    expect(psql(digest("notes"), target)).toBe(psql(digest("notes"), source));
  });

  it("a wrong identity fails DECRYPTION_FAILED before the target is touched; a missing one is refused at once", async () => {
    const a = await encryptedBackup("run_enc_wrong", { encryption: { recipient } });
    const other = await generateX25519Identity();
    startRestore(env.ctx, restorePayload("run_enc_wrong_restore", "run_enc_wrong", a, { identity: other }), { serverUrl, downloadBackoffMs: 0 });
    await env.ctx.slot.whenIdle();
    const run = getRun(env.store, "run_enc_wrong_restore")!;
    expect(run).toMatchObject({ state: "failed", restoreStage: "restore", error: { code: "DECRYPTION_FAILED", retryable: false, details: { stage: "decrypt" } } });
    expect(tablesIn(target)).toBe(0);
    expect(logText).not.toContain(other);
    expect(JSON.stringify(readEventsAfter(env.store, 0))).not.toContain(other);

    expect(() => startRestore(env.ctx, restorePayload("run_enc_no_key", "run_enc_wrong", a, {}), { serverUrl })).toThrow(expect.objectContaining({ code: "DECRYPTION_FAILED" }));
    expect(getRun(env.store, "run_enc_no_key")).toBeNull();
    expect(tablesIn(target)).toBe(0);
  });
});
