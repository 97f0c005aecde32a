import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AGENT_ROUTES, UPLOAD_OFFSET_HEADER } from "@holdfast/shared";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { FakeAgent } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { startS3Server, type TestS3Server } from "../testing/s3-server.js";
import { startTcpGate, type TcpGate } from "../testing/tcp-gate.js";
import { exists, spooledPath } from "./spool.js";
import { createSpoolGate } from "./spool-gate.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const PG = { host: "db.internal", port: 5432, database: "shop", username: "backup" };

describe("spool gate", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "holdfast-gate-"));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it("counts what is on disk and what admitted pulls will still write; lets one oversized artifact in alone", async () => {
    const gate = createSpoolGate(dir, 1000);
    expect(await gate.admit("a", 600)).toBe(true);
    // a may still write 600 bytes: 600 + 500 > 1000.
    expect(await gate.admit("b", 500)).toBe(false);
    await writeFile(join(dir, "a.partial"), Buffer.alloc(200));
    expect(await gate.admit("b", 500)).toBe(false);
    expect(gate.release("a")).toBe(true);
    // Only a's 200 bytes on disk count now.
    expect(await gate.admit("b", 500)).toBe(true);
    expect(gate.release("b")).toBe(true);
    expect(gate.release("b")).toBe(false);
    await rm(join(dir, "a.partial"));
    expect(await gate.admit("huge", 5000)).toBe(true);
    expect(await gate.admit("small", 1)).toBe(false);
    expect(await createSpoolGate(dir, null).admit("any", 1e12)).toBe(true);
  });

  it("weighs a larger reservation for a pull that holds one (an artifact past its estimate) as a new one; a refusal keeps the old", async () => {
    const gate = createSpoolGate(dir, 1000);
    expect(await gate.admit("early", 300)).toBe(true);
    expect(await gate.admit("other", 400)).toBe(true);
    expect(await gate.admit("early", 600)).toBe(true);
    // 400 + 700 > 1000: no room to grow again, and "early" still holds its 600.
    expect(await gate.admit("early", 700)).toBe(false);
    expect(await gate.admit("third", 1)).toBe(false);
    expect(await gate.admit("early", 500)).toBe(true);
    expect(await gate.admit("third", 100)).toBe(true);
    for (const id of ["early", "other", "third"]) gate.release(id);
  });
});

describe("a full spool pauses pulls, never fails a run", () => {
  let srv: TestServer;
  let s3: TestS3Server;
  let gate: TcpGate;
  let admin: string;
  let agent: FakeAgent;
  let dsId: string;
  let destId: string;
  const artifacts = new Map<string, Buffer>();
  const asked: string[] = [];
  /** The control plane's log lines: the puller says when a pull waits for room. */
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    s3 = await startS3Server();
    gate = await startTcpGate(Number(new URL(s3.endpoint).port));
    // 100 kB of spool (GB = 10^9 bytes).
    const logger = pino({ level: "info" }, { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) });
    srv = await startTestServer("sqlite", { logger, vars: { HOLDFAST_SPOOL_MAX_GB: "0.0001", HOLDFAST_DELIVERY_BACKOFF_MS: "100" } });
    admin = await srv.token("admin");
    agent = await srv.agent();
    agent.acceptDatasources(PG);
    agent.acceptBackups();
    agent.handlers.readArtifact = (f) => {
      const { runId, offset, uploadToken } = f.payload as { runId: string; offset: number; uploadToken: string };
      asked.push(runId);
      const bytes = artifacts.get(runId)!;
      setImmediate(() =>
        void fetch(`${srv.url}${AGENT_ROUTES.artifacts}/${runId}`, {
          method: "PATCH",
          headers: { authorization: `Bearer ${uploadToken}`, [UPLOAD_OFFSET_HEADER]: String(offset), "content-type": "application/offset+octet-stream" },
          body: new Uint8Array(bytes.subarray(offset)),
        }),
      );
      return { status: 202, data: { runId, sizeBytes: bytes.length, sha256: sha(bytes) } };
    };
    const ds = await srv.api("/api/v1/datasources", { method: "POST", token: admin, json: { agentId: agent.identity.agentId, name: "shop", engine: "postgres", connection: PG } });
    dsId = ((await ds.json()) as { id: string }).id;
    const dst = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "bucket", type: "s3", config: s3.config({ endpoint: `http://127.0.0.1:${gate.port}` }) } });
    destId = ((await dst.json()) as { id: string }).id;
  });
  afterAll(async () => {
    await srv?.stop();
    await gate?.close();
    await s3?.stop();
  });

  async function backup(size: number): Promise<string> {
    const res = await srv.api(`/api/v1/datasources/${dsId}/backups`, { method: "POST", token: admin, json: { destinationIds: [destId] } });
    const { runId } = (await res.json()) as { runId: string };
    const bytes = randomBytes(size);
    artifacts.set(runId, bytes);
    const now = new Date().toISOString();
    await agent.sendEvent("backupStarted", { datasourceId: dsId, startedAt: now }, runId);
    await agent.sendEvent("backupCompleted", { finishedAt: now, sizeBytes: size, rawSizeBytes: size, sha256: sha(bytes), codec: "gzip", fileName: `${runId}.sql.gz` }, runId);
    return runId;
  }
  const view = async (runId: string) => (await (await srv.api(`/api/v1/runs/${runId}`, { token: admin })).json()) as { state: string; deliveries: { state: string }[] };

  it("holds a pull while the spool is full and starts it when a spool copy goes", { timeout: 60_000 }, async () => {
    gate.down();
    const first = await backup(80_000);
    await vi.waitFor(async () => expect(await exists(spooledPath(srv.ctx.env.spoolDir, first))).toBe(true), { timeout: 10_000 });
    const second = await backup(80_000);
    // The puller decided: the pull waits (and returned without asking the agent).
    await vi.waitFor(() => expect(logLines).toContainEqual(expect.objectContaining({ runId: second, msg: "the spool is full; the pull waits for room" })), { timeout: 10_000 });
    // Not asked for: the agent keeps its staged copy; the run stays completed, its delivery pending.
    expect(asked).not.toContain(second);
    expect(await view(second)).toMatchObject({ state: "completed", deliveries: [{ state: "pending" }] });
    expect(await exists(spooledPath(srv.ctx.env.spoolDir, second))).toBe(false);

    gate.up();
    await vi.waitFor(async () => expect((await view(first)).deliveries[0]!.state).toBe("completed"), { timeout: 20_000 });
    await vi.waitFor(async () => expect((await view(second)).deliveries[0]!.state).toBe("completed"), { timeout: 20_000 });
    expect(asked).toContain(second);

    // Larger than the whole bound: pulled alone once nothing else is there, rather than lost to the agent's TTL.
    const huge = await backup(150_000);
    await vi.waitFor(async () => expect((await view(huge)).deliveries[0]!.state).toBe("completed"), { timeout: 20_000 });
  });
});
