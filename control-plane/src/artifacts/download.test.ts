import { createHash, randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AGENT_ROUTES, newId } from "@holdfast/shared";
import type { FakeAgent } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { partialPath, spooledPath } from "./spool.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const PG = { host: "db.internal", port: 5432, database: "shop", username: "backup" };

describe("restore direction: POST /runs/:id/restore and GET /agent/v1/artifacts/:runId", () => {
  let srv: TestServer;
  let admin: string;
  let operator: string;
  let viewer: string;
  let agent: FakeAgent;
  let dsId: string;
  let destId: string;
  const started: Array<Record<string, unknown>> = [];
  let busy = false;

  beforeAll(async () => {
    srv = await startTestServer("sqlite");
    [admin, operator, viewer] = [await srv.token("admin"), await srv.token("operator"), await srv.token("viewer")];
    agent = await srv.agent();
    agent.acceptDatasources(PG);
    agent.handlers.startRestore = (f) => {
      const p = f.payload as { runId: string };
      if (busy) return { error: { code: "BACKUP_ALREADY_RUNNING", message: "Backup run_x is running on this agent", retryable: true, details: { runId: "run_x" } } };
      started.push(p);
      return { status: 202, data: { runId: p.runId, state: "running" } };
    };
    const ds = await srv.api("/api/v1/datasources", { method: "POST", token: admin, json: { agentId: agent.identity.agentId, name: "shop", engine: "postgres", connection: PG } });
    dsId = ((await ds.json()) as { id: string }).id;
    const dst = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "disk", type: "local", config: { path: join(srv.dir, "backups") } } });
    destId = ((await dst.json()) as { id: string }).id;
  });
  afterAll(async () => srv.stop());

  /** A completed backup run whose artifact is held where `where` says. */
  async function backupRun(artifact: Buffer, where: "spool" | "delivery" | "partial" | "none", state = "completed") {
    const runId = newId("run");
    const { db, t } = srv.ctx.database;
    await db.insert(t.runs).values({
      id: runId, kind: "backup", trigger: "manual", agentId: agent.identity.agentId, datasourceId: dsId, state,
      idempotencyKey: newId("idem"), sizeBytes: artifact.length, sha256: sha(artifact), fileName: `${runId}.sql.gz`, createdAt: Date.now(),
    });
    if (where === "spool") await writeFile(spooledPath(srv.ctx.env.spoolDir, runId), artifact);
    if (where === "partial") await writeFile(partialPath(srv.ctx.env.spoolDir, runId), artifact);
    if (where === "delivery") {
      const path = join(srv.dir, "backups", dsId, `${runId}.sql.gz`);
      await mkdir(join(srv.dir, "backups", dsId), { recursive: true });
      await writeFile(path, artifact);
      await db.insert(t.deliveries).values({ id: newId("dlv"), runId, destinationId: destId, state: "completed", path, bytes: artifact.length, attempts: 1, updatedAt: Date.now() });
    }
    return runId;
  }

  async function restore(sourceRunId: string, token = operator, json: unknown = { targetDatasourceId: dsId }) {
    return srv.api(`/api/v1/runs/${sourceRunId}/restore`, { method: "POST", token, json });
  }
  const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string; details?: Record<string, unknown> } }).error;
  const tokenFor = (restoreRunId: string) => (started.find((p) => p.runId === restoreRunId) as { downloadToken: string }).downloadToken;
  function download(runId: string, token: string | null, range?: string) {
    return fetch(`${srv.url}${AGENT_ROUTES.artifacts}/${runId}`, {
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(range ? { range } : {}) },
    });
  }
  const getRun = async (runId: string) => (await (await srv.api(`/api/v1/runs/${runId}`, { token: viewer })).json()) as Record<string, unknown>;

  it("starts a restore run: 202 {runId}, startRestore carries size, hash and a download token; GET /runs shows kind restore", async () => {
    const artifact = randomBytes(5000);
    const source = await backupRun(artifact, "spool");
    const res = await restore(source, operator, { targetDatasourceId: dsId, options: { overwrite: true } });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    const sent = started.find((p) => p.runId === runId)!;
    expect(sent).toMatchObject({ sourceRunId: source, targetDatasourceId: dsId, sizeBytes: 5000, sha256: sha(artifact), options: { overwrite: true } });
    expect(String(sent.downloadToken)).toMatch(/^hf_dl_/);
    expect(await getRun(runId)).toMatchObject({ runId, kind: "restore", state: "queued", sourceRunId: source, datasourceId: dsId });
    // The audit log says who restored which backup, and the restore run it started.
    const { db, t } = srv.ctx.database;
    const audited = (await db.select().from(t.auditLog)).filter((r) => r.action === "POST /runs/:runId/restore");
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ actorEmail: "operator@test.local", status: 202, errorCode: null, fields: JSON.stringify(["targetDatasourceId", "options"]) });
    expect(JSON.parse(audited[0]!.target)).toEqual({ runId: source, createdRunId: runId });

    const at = new Date().toISOString();
    await agent.sendEvent("restoreStarted", { datasourceId: dsId, sourceRunId: source, startedAt: at }, runId);
    await agent.sendEvent("restoreProgress", { step: "download", bytes: 4096, percent: 80 }, runId);
    await vi.waitFor(async () => expect(await getRun(runId)).toMatchObject({ state: "running", progressBytes: 4096, step: "download" }));
    await agent.sendEvent("restoreCompleted", { finishedAt: at, durationMs: 12 }, runId);
    await vi.waitFor(async () => expect(await getRun(runId)).toMatchObject({ state: "completed", step: null }));
    // The restore ended: its token opens nothing any more.
    expect((await download(source, tokenFor(runId))).status).toBe(401);
  });

  it("relays an age identity to the agent and keeps it nowhere: not in the run row, not in a validation error", async () => {
    const identity = `AGE-SECRET-KEY-1${"Q".repeat(58)}`;
    const source = await backupRun(randomBytes(100), "spool");
    const res = await restore(source, operator, { targetDatasourceId: dsId, options: { identity } });
    expect(res.status).toBe(202);
    const { runId } = (await res.json()) as { runId: string };
    expect(started.find((p) => p.runId === runId)).toMatchObject({ options: { identity } });
    const { db, t } = srv.ctx.database;
    const rows = await db.select().from(t.runs);
    expect(JSON.stringify(rows)).not.toContain(identity);
    expect(JSON.stringify(await getRun(runId))).not.toContain(identity);

    const bad = `AGE-SECRET-KEY-1${"b".repeat(58)}`;
    const refused = await restore(source, operator, { targetDatasourceId: dsId, options: { identity: bad } });
    expect(refused.status).toBe(400);
    expect(await refused.text()).not.toContain(bad);
  });

  it("a failed restore shows where it stopped", async () => {
    const source = await backupRun(randomBytes(100), "spool");
    const { runId } = (await (await restore(source)).json()) as { runId: string };
    const at = new Date().toISOString();
    await agent.sendEvent("restoreStarted", { datasourceId: dsId, sourceRunId: source, startedAt: at }, runId);
    await agent.sendEvent(
      "restoreFailed",
      { finishedAt: at, stage: "verify", error: { code: "CHECKSUM_MISMATCH", message: "sha256 differs", retryable: false } },
      runId,
    );
    await vi.waitFor(async () => expect(await getRun(runId)).toMatchObject({ kind: "restore", state: "failed", error: { code: "CHECKSUM_MISMATCH", details: { stage: "verify" } } }));
  });

  it("validates the request, the roles, the source run and the target", async () => {
    const source = await backupRun(randomBytes(100), "spool");
    expect((await codeOf(await restore(source, viewer))).code).toBe("FORBIDDEN");
    expect((await restore(source, "hf_api_nope")).status).toBe(401);
    expect((await codeOf(await restore("run_does_not_exist"))).code).toBe("RUN_NOT_FOUND");
    expect((await codeOf(await restore(source, operator, { targetDatasourceId: "ds_nope" }))).code).toBe("DATASOURCE_NOT_FOUND");
    expect((await codeOf(await restore(source, operator, {}))).code).toBe("VALIDATION_FAILED");
    expect((await codeOf(await restore(source, operator, { targetDatasourceId: dsId, options: { wipe: true } }))).code).toBe("VALIDATION_FAILED");
    const failed = await backupRun(randomBytes(10), "spool", "failed");
    expect((await restore(failed)).status).toBe(409);
    expect((await codeOf(await restore(failed))).code).toBe("RUN_NOT_RESTORABLE");
    // Bytes the control plane never verified are no source.
    const partial = await backupRun(randomBytes(10), "partial");
    expect((await codeOf(await restore(partial))).code).toBe("RUN_NOT_RESTORABLE");
    const gone = await backupRun(randomBytes(10), "none");
    expect((await codeOf(await restore(gone))).code).toBe("RUN_NOT_RESTORABLE");
    // A restore run is not a source either.
    const { runId: restoreRun } = (await (await restore(source)).json()) as { runId: string };
    expect((await codeOf(await restore(restoreRun))).code).toBe("RUN_NOT_RESTORABLE");
  });

  it("relays the agent's 409 when its slot is busy and keeps no run", async () => {
    const source = await backupRun(randomBytes(100), "spool");
    busy = true;
    try {
      const res = await restore(source);
      expect(res.status).toBe(409);
      expect(await codeOf(res)).toMatchObject({ code: "BACKUP_ALREADY_RUNNING", details: { runId: "run_x" } });
    } finally {
      busy = false;
    }
    const { db, t } = srv.ctx.database;
    const rows = await db.select().from(t.runs);
    expect(rows.filter((r) => r.kind === "restore" && r.sourceRunId === source)).toEqual([]);
  });

  it("needs the restore's token: none or a wrong one is 401, an unknown run 404", async () => {
    const source = await backupRun(randomBytes(1000), "spool");
    const other = await backupRun(randomBytes(1000), "spool");
    const { runId } = (await (await restore(source)).json()) as { runId: string };
    expect((await download(source, null)).status).toBe(401);
    expect((await download(source, "hf_dl_made_up_token_aaaaaaaaaaaaaaaaaaaaaaaa")).status).toBe(401);
    // Bound to its own source run.
    expect((await download(other, tokenFor(runId))).status).toBe(401);
    const unknown = await download("run_unknown_123", tokenFor(runId));
    expect(unknown.status).toBe(404);
    expect((await codeOf(unknown)).code).toBe("RUN_NOT_FOUND");
    expect((await download(source, tokenFor(runId))).status).toBe(200);
  });

  it("streams the verified spool copy and resumes with Range: identical bytes", async () => {
    const artifact = randomBytes(3 * 1024 * 1024 + 17);
    const source = await backupRun(artifact, "spool");
    const { runId } = (await (await restore(source)).json()) as { runId: string };
    const token = tokenFor(runId);

    const full = await download(source, token);
    expect(full.status).toBe(200);
    expect(full.headers.get("accept-ranges")).toBe("bytes");
    expect(full.headers.get("content-length")).toBe(String(artifact.length));
    expect(sha(Buffer.from(await full.arrayBuffer()))).toBe(sha(artifact));

    // A download cut after the first chunk(s), then resumed from what arrived.
    const first = await download(source, token);
    const reader = first.body!.getReader();
    const got: Buffer[] = [];
    let have = 0;
    while (have < 100_000) {
      const { value, done } = await reader.read();
      if (done) break;
      got.push(Buffer.from(value));
      have += value.length;
    }
    await reader.cancel();
    const rest = await download(source, token, `bytes=${have}-`);
    expect(rest.status).toBe(206);
    expect(rest.headers.get("content-range")).toBe(`bytes ${have}-${artifact.length - 1}/${artifact.length}`);
    expect(rest.headers.get("content-length")).toBe(String(artifact.length - have));
    const joined = Buffer.concat([...got, Buffer.from(await rest.arrayBuffer())]);
    expect(joined.equals(artifact)).toBe(true);

    const bounded = await download(source, token, "bytes=10-19");
    expect(Buffer.from(await bounded.arrayBuffer()).equals(artifact.subarray(10, 20))).toBe(true);
    const past = await download(source, token, `bytes=${artifact.length}-`);
    expect(past.status).toBe(416);
    expect(past.headers.get("content-range")).toBe(`bytes */${artifact.length}`);
    expect((await codeOf(past)).code).toBe("RANGE_NOT_SATISFIABLE");
    const last = await download(source, token, "bytes=-5");
    expect(last.status).toBe(206);
    expect(Buffer.from(await last.arrayBuffer()).equals(artifact.subarray(-5))).toBe(true);
    expect((await download(source, token, "bytes=9-3")).status).toBe(400);
  });

  it("serves a completed local delivery once the spool copy is gone, if its size is right", async () => {
    const artifact = randomBytes(70_000);
    const source = await backupRun(artifact, "delivery");
    const { runId } = (await (await restore(source)).json()) as { runId: string };
    const res = await download(source, tokenFor(runId), "bytes=5-");
    expect(res.status).toBe(206);
    expect(Buffer.from(await res.arrayBuffer()).equals(artifact.subarray(5))).toBe(true);
    // A delivered file that changed size is not served.
    const { db, t } = srv.ctx.database;
    const [row] = await db.select().from(t.deliveries);
    expect(row).toBeDefined();
    const path = join(srv.dir, "backups", dsId, `${source}.sql.gz`);
    await writeFile(path, artifact.subarray(1));
    const after = await download(source, tokenFor(runId));
    expect(after.status).toBe(404);
    expect((await codeOf(after)).code).toBe("ARTIFACT_NOT_FOUND");
  });

  it("never serves bytes from an unverified partial upload", async () => {
    const artifact = randomBytes(1000);
    const source = await backupRun(artifact, "partial");
    // A restore run recorded by hand: the REST route would have refused this source.
    const restoreRunId = newId("run");
    const { db, t } = srv.ctx.database;
    await db.insert(t.runs).values({
      id: restoreRunId, kind: "restore", trigger: "manual", agentId: agent.identity.agentId, datasourceId: dsId, sourceRunId: source,
      state: "running", idempotencyKey: newId("idem"), createdAt: Date.now(),
    });
    const token = srv.ctx.downloads.issue(restoreRunId, source, agent.identity.agentId);
    const res = await download(source, token);
    expect(res.status).toBe(404);
    expect((await codeOf(res)).code).toBe("ARTIFACT_NOT_FOUND");
  });
});
