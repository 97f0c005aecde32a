import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AGENT_ROUTES, UPLOAD_OFFSET_HEADER } from "@holdfast/shared";
import { FakeAgent } from "../testing/fake-agent.js";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const PG = { host: "db.internal", port: 5432, database: "shop", username: "backup" };

function patch(srv: TestServer, runId: string, token: string, offset: number | string, body: Buffer) {
  return fetch(`${srv.url}${AGENT_ROUTES.artifacts}/${runId}`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${token}`, [UPLOAD_OFFSET_HEADER]: String(offset), "content-type": "application/offset+octet-stream" },
    body: new Uint8Array(body),
  });
}

describe("artifact upload receive", () => {
  let srv: TestServer;
  let agentId: string;
  const runId = "run_upload_test";
  beforeAll(async () => {
    srv = await startTestServer("sqlite");
    agentId = (await srv.enroll()).agentId;
    const { db, t } = srv.ctx.database;
    await db.insert(t.runs).values({
      id: runId, kind: "backup", trigger: "manual", agentId, datasourceId: "ds_x", state: "completed",
      idempotencyKey: "k", sizeBytes: 20, sha256: "0".repeat(64), createdAt: 1,
    });
  });
  afterAll(async () => srv.stop());

  it("refuses an offset other than the bytes held with 409 and details.expectedOffset", async () => {
    const res = await patch(srv, runId, srv.ctx.uploads.issue(runId, agentId), 5, Buffer.from("hello"));
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: { code: string; details: { expectedOffset: number } } };
    expect(body.error.code).toBe("UPLOAD_OFFSET_MISMATCH");
    expect(body.error.details.expectedOffset).toBe(0);
  });

  it("appends from the offset, answers the new offset, and HEAD tells it too", async () => {
    const first = await patch(srv, runId, srv.ctx.uploads.issue(runId, agentId), 0, Buffer.from("0123456789"));
    expect(first.status).toBe(204);
    expect(first.headers.get(UPLOAD_OFFSET_HEADER)).toBe("10");
    const token = srv.ctx.uploads.issue(runId, agentId);
    const head = await fetch(`${srv.url}${AGENT_ROUTES.artifacts}/${runId}`, { method: "HEAD", headers: { authorization: `Bearer ${token}` } });
    expect(head.headers.get(UPLOAD_OFFSET_HEADER)).toBe("10");
    const second = await patch(srv, runId, token, 10, Buffer.from("abcde"));
    expect(second.headers.get(UPLOAD_OFFSET_HEADER)).toBe("15");
    const stale = await patch(srv, runId, srv.ctx.uploads.issue(runId, agentId), 10, Buffer.from("zz"));
    expect(((await stale.json()) as { error: { details: { expectedOffset: number } } }).error.details.expectedOffset).toBe(15);
    expect(await readFile(join(srv.ctx.env.spoolDir, `${runId}.partial`), "utf8")).toBe("0123456789abcde");
  });

  it("accepts an upload token once, for its own run only", async () => {
    const token = srv.ctx.uploads.issue(runId, agentId);
    expect((await patch(srv, runId, token, 15, Buffer.from("x"))).status).toBe(204);
    expect((await patch(srv, runId, token, 16, Buffer.from("y"))).status).toBe(401);
    const forOther = srv.ctx.uploads.issue("run_someone_else", agentId);
    expect((await patch(srv, runId, forOther, 16, Buffer.from("y"))).status).toBe(401);
    expect((await patch(srv, runId, "hf_upl_made_up_token_aaaaaaaaaaaaaaaaaaaa", 16, Buffer.from("y"))).status).toBe(401);
  });

  it("refuses bytes beyond the artifact's size", async () => {
    const res = await patch(srv, runId, srv.ctx.uploads.issue(runId, agentId), 16, Buffer.alloc(100));
    expect(res.status).toBe(413);
    expect((await readFile(join(srv.ctx.env.spoolDir, `${runId}.partial`))).length).toBeLessThanOrEqual(20);
  });
});

describe.each(DIALECTS)("artifact pull and delivery on %s", (dialect) => {
  let srv: TestServer;
  let admin: string;
  let agent: FakeAgent;
  let dsId: string;
  let destId: string;
  let destRoot: string;

  beforeAll(async () => {
    srv = await startTestServer(dialect);
    admin = await srv.token("admin");
    agent = await srv.agent();
    agent.acceptDatasources(PG);
    agent.acceptBackups();
    const ds = await srv.api("/api/v1/datasources", { method: "POST", token: admin, json: { agentId: agent.identity.agentId, name: "shop", engine: "postgres", connection: PG } });
    dsId = ((await ds.json()) as { id: string }).id;
    destRoot = join(srv.dir, "backups");
    const dst = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "disk", type: "local", config: { path: destRoot } } });
    destId = ((await dst.json()) as { id: string }).id;
  });
  afterAll(async () => srv.stop());

  async function backup(artifact: Buffer, claimedSha: string) {
    const res = await srv.api(`/api/v1/datasources/${dsId}/backups`, { method: "POST", token: admin, json: { destinationIds: [destId] } });
    const { runId } = (await res.json()) as { runId: string };
    const now = new Date().toISOString();
    await agent.sendEvent("backupStarted", { datasourceId: dsId, startedAt: now }, runId);
    await agent.sendEvent(
      "backupCompleted",
      { finishedAt: now, sizeBytes: artifact.length, rawSizeBytes: artifact.length * 3, sha256: claimedSha, codec: "gzip", fileName: `${runId}.sql.gz` },
      runId,
    );
    return runId;
  }

  const deliveryOf = async (runId: string) => {
    const run = (await (await srv.api(`/api/v1/runs/${runId}`, { token: admin })).json()) as { state: string; deliveries: Array<{ state: string; path: string | null }> };
    return { run, delivery: run.deliveries[0]! };
  };

  it("pulls in pieces, resumes from the offset, verifies and delivers", async () => {
    const artifact = randomBytes(300_000);
    const offsets: number[] = [];
    agent.handlers.readArtifact = (f) => {
      const { runId, offset, uploadToken } = f.payload as { runId: string; offset: number; uploadToken: string };
      offsets.push(offset);
      // The first upload is cut after 100 kB; the control plane must ask again from there.
      const end = offsets.length === 1 ? 100_000 : artifact.length;
      setImmediate(() => void patch(srv, runId, uploadToken, offset, artifact.subarray(offset, end)));
      return { status: 202, data: { runId, sizeBytes: artifact.length, sha256: sha(artifact) } };
    };
    const runId = await backup(artifact, sha(artifact));
    await vi.waitFor(async () => expect((await deliveryOf(runId)).delivery.state).toBe("completed"), { timeout: 15_000 });
    const { run, delivery } = await deliveryOf(runId);
    expect(run.state).toBe("completed");
    expect(offsets).toEqual([0, 100_000]);
    // <datasource>/<yyyy>/<mm>/<UTC timestamp>_<runId><ext> (deliveries/object-name.ts).
    expect(delivery.path!.slice(join(destRoot, dsId).length)).toMatch(new RegExp(`^/\\d{4}/\\d{2}/\\d{8}T\\d{6}Z_${runId}\\.sql\\.gz$`));
    expect(sha(await readFile(delivery.path!))).toBe(sha(artifact));
    expect(agent.frames.some((f) => f.type === "cleanupStaging" && (f.payload as { runId: string }).runId === runId)).toBe(true);
    // The spool copy goes once every delivery is done.
    expect((await readdir(srv.ctx.env.spoolDir)).filter((n) => n.startsWith(runId))).toEqual([]);
  });

  it("never delivers bytes that fail the SHA-256 check; gives up after 3 pulls with CHECKSUM_MISMATCH", async () => {
    const artifact = randomBytes(50_000);
    const offsets: number[] = [];
    agent.handlers.readArtifact = (f) => {
      const { runId, offset, uploadToken } = f.payload as { runId: string; offset: number; uploadToken: string };
      offsets.push(offset);
      setImmediate(() => void patch(srv, runId, uploadToken, offset, artifact.subarray(offset)));
      return { status: 202, data: { runId, sizeBytes: artifact.length, sha256: "f".repeat(64) } };
    };
    const runId = await backup(artifact, "f".repeat(64));
    await vi.waitFor(async () => expect((await deliveryOf(runId)).delivery.state).toBe("failed"), { timeout: 15_000 });
    expect(offsets).toEqual([0, 0, 0]);
    const { db, t } = srv.ctx.database;
    const row = (await db.select().from(t.deliveries).where(eq(t.deliveries.runId, runId)))[0];
    expect(JSON.parse(row!.error!)).toMatchObject({ code: "CHECKSUM_MISMATCH" });
    expect(row!.path).toBeNull();
    const delivered = await readdir(join(destRoot, dsId)).catch(() => [] as string[]);
    expect(delivered.filter((n) => n.startsWith(runId))).toEqual([]);
    expect((await readdir(srv.ctx.env.spoolDir)).filter((n) => n.startsWith(runId))).toEqual([]);
  });

  it("marks a failed run's deliveries failed without pulling anything", async () => {
    const res = await srv.api(`/api/v1/datasources/${dsId}/backups`, { method: "POST", token: admin, json: { destinationIds: [destId] } });
    const { runId } = (await res.json()) as { runId: string };
    const now = new Date().toISOString();
    await agent.sendEvent("backupStarted", { datasourceId: dsId, startedAt: now }, runId);
    await agent.sendEvent("backupFailed", { finishedAt: now, error: { code: "DUMP_FAILED", message: "pg_dump exited 1", retryable: true } }, runId);
    const { run, delivery } = await deliveryOf(runId);
    expect(run).toMatchObject({ state: "failed", error: { code: "DUMP_FAILED" } });
    expect(delivery.state).toBe("failed");
  });

  it("sends a staging clean-up the agent missed again when it is back, and records the agent's confirmation", async () => {
    const artifact = randomBytes(20_000);
    agent.handlers.readArtifact = (f) => {
      const { runId, offset, uploadToken } = f.payload as { runId: string; offset: number; uploadToken: string };
      setImmediate(() => void patch(srv, runId, uploadToken, offset, artifact.subarray(offset)));
      return { status: 202, data: { runId, sizeBytes: artifact.length, sha256: sha(artifact) } };
    };
    // The agent goes away as the clean-up comes (killed after the upload, before it answered).
    agent.handlers.cleanupStaging = () => ({ error: { code: "AGENT_OFFLINE", message: "gone", retryable: true } });
    const runId = await backup(artifact, sha(artifact));
    await vi.waitFor(async () => expect((await deliveryOf(runId)).delivery.state).toBe("completed"), { timeout: 15_000 });
    const cleanups = (a: FakeAgent) => a.frames.filter((f) => f.type === "cleanupStaging" && (f.payload as { runId: string }).runId === runId).length;
    expect(cleanups(agent)).toBe(1);
    const { db, t } = srv.ctx.database;
    const released = async () => (await db.select({ at: t.runs.stagingReleasedAt }).from(t.runs).where(eq(t.runs.id, runId)))[0]?.at;
    expect(await released()).toBeNull();

    agent.ws.terminate();
    await vi.waitFor(() => expect(srv.ctx.link.isOnline(agent.identity.agentId)).toBe(false));
    agent = await FakeAgent.connect(srv.url, agent.identity);
    agent.acceptDatasources(PG);
    agent.acceptBackups();
    await vi.waitFor(() => expect(cleanups(agent)).toBe(1));
    await vi.waitFor(async () => expect(await released()).toEqual(expect.any(Number)));
  });
});
