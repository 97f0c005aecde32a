import { createHash, randomBytes } from "node:crypto";
import http from "node:http";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AGENT_ROUTES, UPLOAD_OFFSET_HEADER } from "@holdfast/shared";
import type { FakeAgent } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const PG = { host: "db.internal", port: 5432, database: "shop", username: "backup" };

/**
 * A PATCH like the agent's upload of a growing file: chunked, no length. `cut` leaves it unfinished
 * (the agent's pipeline failed, or the connection broke) once the control plane holds `cut` bytes.
 */
async function growingPatch(srv: TestServer, runId: string, token: string, offset: number, body: Buffer, cut?: number): Promise<void> {
  const req = http.request(`${srv.url}${AGENT_ROUTES.artifacts}/${runId}`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${token}`, [UPLOAD_OFFSET_HEADER]: String(offset), "content-type": "application/offset+octet-stream" },
  });
  req.on("error", () => {});
  const answered = new Promise<void>((resolve) => req.on("response", (res) => (res.resume(), res.on("end", resolve))).on("close", resolve));
  if (cut === undefined) {
    req.end(body);
    return answered;
  }
  req.write(body.subarray(0, cut));
  const partial = join(srv.ctx.env.spoolDir, `${runId}.partial`);
  await vi.waitFor(async () => expect((await stat(partial)).size).toBe(offset + cut), { timeout: 10_000 });
  req.destroy();
}

describe("pulling while the agent stages (fake agent)", { timeout: 240_000 }, () => {
  let srv: TestServer;
  let admin: string;
  let agent: FakeAgent;
  let dsId: string;
  let destId: string;
  /** What the fake agent's next readArtifact does with the run's bytes. */
  let serve: (runId: string, offset: number, token: string) => Promise<void>;
  const asked: { runId: string; offset: number; state: string }[] = [];

  beforeAll(async () => {
    srv = await startTestServer("sqlite");
    admin = await srv.token("admin");
    agent = await srv.agent();
    agent.acceptDatasources(PG);
    agent.acceptBackups();
    agent.handlers.readArtifact = (f) => {
      const { runId, offset, uploadToken } = f.payload as { runId: string; offset: number; uploadToken: string };
      asked.push({ runId, offset, state: "?" });
      setImmediate(() => void serve(runId, offset, uploadToken));
      return { status: 202, data: { runId, sizeBytes: offset, sha256: null, growing: true } };
    };
    const ds = await srv.api("/api/v1/datasources", { method: "POST", token: admin, json: { agentId: agent.identity.agentId, name: "shop", engine: "postgres", connection: PG } });
    dsId = ((await ds.json()) as { id: string }).id;
    const dst = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "disk", type: "local", config: { path: join(srv.dir, "backups") } } });
    destId = ((await dst.json()) as { id: string }).id;
  });
  afterAll(async () => srv.stop());

  async function start(): Promise<string> {
    const res = await srv.api(`/api/v1/datasources/${dsId}/backups`, { method: "POST", token: admin, json: { destinationIds: [destId] } });
    const { runId } = (await res.json()) as { runId: string };
    await agent.sendEvent("backupStarted", { datasourceId: dsId, startedAt: new Date().toISOString() }, runId);
    return runId;
  }
  const complete = (runId: string, artifact: Buffer) =>
    agent.sendEvent("backupCompleted", { finishedAt: new Date().toISOString(), sizeBytes: artifact.length, rawSizeBytes: artifact.length * 3, sha256: sha(artifact), codec: "gzip", fileName: `${runId}.sql.gz` }, runId);
  const runOf = async (runId: string) =>
    (await (await srv.api(`/api/v1/runs/${runId}`, { token: admin })).json()) as { state: string; deliveries: Array<{ state: string; path: string | null }> };
  const spoolFiles = async (runId: string) => (await readdir(srv.ctx.env.spoolDir)).filter((n) => n.startsWith(runId));

  it("pulls a first run (no size to reserve) only after backupCompleted", async () => {
    const artifact = randomBytes(400_000);
    serve = (runId, offset, token) => growingPatch(srv, runId, token, offset, artifact.subarray(offset));
    const runId = await start();
    await complete(runId, artifact);
    await vi.waitFor(async () => expect((await runOf(runId)).deliveries[0]!.state).toBe("completed"), { timeout: 90_000 });
    expect(asked.filter((a) => a.runId === runId).map((a) => a.offset)).toEqual([0]);
  });

  it("pulls the next run while it stages, and promotes the spool copy only after backupCompleted's hash", async () => {
    const artifact = randomBytes(450_000);
    serve = (runId, offset, token) => growingPatch(srv, runId, token, offset, artifact.subarray(offset));
    const runId = await start();
    // The whole staged file arrives before the run completes: it waits as a partial, undelivered.
    await vi.waitFor(async () => expect((await stat(join(srv.ctx.env.spoolDir, `${runId}.partial`))).size).toBe(artifact.length), { timeout: 90_000 });
    expect(await spoolFiles(runId)).toEqual([`${runId}.partial`]);
    expect((await runOf(runId)).deliveries[0]!.state).toBe("pending");
    await complete(runId, artifact);
    await vi.waitFor(async () => expect((await runOf(runId)).deliveries[0]!.state).toBe("completed"), { timeout: 90_000 });
    const delivered = (await runOf(runId)).deliveries[0]!.path!;
    expect(sha(await readFile(delivered))).toBe(sha(artifact));
    // One upload, during staging: nothing was pulled again after backupCompleted.
    expect(asked.filter((a) => a.runId === runId).map((a) => a.offset)).toEqual([0]);
  });

  it("pulls only after backupCompleted when HOLDFAST_PULL_WHILE_STAGING is off, with a size to reserve", async () => {
    const artifact = randomBytes(420_000);
    serve = (runId, offset, token) => growingPatch(srv, runId, token, offset, artifact.subarray(offset));
    // A completed run first: the next one has a size to reserve, so only the setting keeps it waiting.
    const first = await start();
    await complete(first, artifact);
    await vi.waitFor(async () => expect((await runOf(first)).deliveries[0]!.state).toBe("completed"), { timeout: 90_000 });
    const env = srv.ctx.env as { pullWhileStaging: boolean };
    env.pullWhileStaging = false;
    try {
      const runId = await start();
      // The same kick backupStarted gives, awaited to its end: with the setting on it uploads now.
      srv.ctx.puller.kick(runId);
      await (srv.ctx.puller as unknown as { idle(): Promise<void> }).idle();
      expect(asked.filter((a) => a.runId === runId)).toEqual([]);
      expect(await spoolFiles(runId)).toEqual([]);
      await complete(runId, artifact);
      await vi.waitFor(async () => expect((await runOf(runId)).deliveries[0]!.state).toBe("completed"), { timeout: 90_000 });
      expect(asked.filter((a) => a.runId === runId).map((a) => a.offset)).toEqual([0]);
    } finally {
      env.pullWhileStaging = true;
    }
  });

  it("resumes an upload cut during staging from the bytes held and ends with the right hash", async () => {
    const artifact = randomBytes(500_000);
    let uploads = 0;
    serve = (runId, offset, token) => {
      uploads += 1;
      return growingPatch(srv, runId, token, offset, artifact.subarray(offset), uploads === 1 ? 123_457 : undefined);
    };
    const runId = await start();
    await vi.waitFor(async () => expect((await stat(join(srv.ctx.env.spoolDir, `${runId}.partial`))).size).toBe(artifact.length), { timeout: 90_000 });
    await complete(runId, artifact);
    await vi.waitFor(async () => expect((await runOf(runId)).deliveries[0]!.state).toBe("completed"), { timeout: 90_000 });
    expect(asked.filter((a) => a.runId === runId).map((a) => a.offset)).toEqual([0, 123_457]);
    expect(sha(await readFile((await runOf(runId)).deliveries[0]!.path!))).toBe(sha(artifact));
  });

  it("delivers nothing and keeps no spool file when the dump fails halfway through the upload", async () => {
    const artifact = randomBytes(500_000);
    serve = (runId, offset, token) => growingPatch(srv, runId, token, offset, artifact.subarray(offset), 200_000);
    const runId = await start();
    await vi.waitFor(async () => expect(asked.some((a) => a.runId === runId)).toBe(true), { timeout: 90_000 });
    await vi.waitFor(async () => expect((await stat(join(srv.ctx.env.spoolDir, `${runId}.partial`))).size).toBe(200_000), { timeout: 90_000 });
    await agent.sendEvent("backupFailed", { finishedAt: new Date().toISOString(), error: { code: "DUMP_FAILED", message: "pg_dump exited 1", retryable: true } }, runId);
    await vi.waitFor(async () => expect((await runOf(runId)).deliveries[0]!.state).toBe("failed"), { timeout: 90_000 });
    await vi.waitFor(async () => expect(await spoolFiles(runId)).toEqual([]), { timeout: 90_000 });
    expect((await runOf(runId)).deliveries[0]!.path).toBeNull();
  });

  it("never delivers what was pulled during staging when backupCompleted's hash differs", async () => {
    const staged = randomBytes(300_000);
    const real = Buffer.from(staged);
    real[1000] = real[1000]! ^ 0xff;
    let uploads = 0;
    serve = (runId, offset, token) => {
      uploads += 1;
      // During staging the wrong bytes; after backupCompleted the right ones.
      return growingPatch(srv, runId, token, offset, (uploads === 1 ? staged : real).subarray(offset));
    };
    const runId = await start();
    await vi.waitFor(async () => expect((await stat(join(srv.ctx.env.spoolDir, `${runId}.partial`))).size).toBe(staged.length), { timeout: 90_000 });
    await complete(runId, real);
    await vi.waitFor(async () => expect((await runOf(runId)).deliveries[0]!.state).toBe("completed"), { timeout: 90_000 });
    expect(sha(await readFile((await runOf(runId)).deliveries[0]!.path!))).toBe(sha(real));
    expect(asked.filter((a) => a.runId === runId).map((a) => a.offset)).toEqual([0, 0]);
  });

  it("goes on pulling during staging an artifact that outgrows its estimate, and delivers it whole", async () => {
    // A small run gives the estimate (its size + 25%); the next one is five times larger.
    const small = randomBytes(200_000);
    serve = (runId, offset, token) => growingPatch(srv, runId, token, offset, small.subarray(offset));
    const first = await start();
    await complete(first, small);
    await vi.waitFor(async () => expect((await runOf(first)).deliveries[0]!.state).toBe("completed"), { timeout: 90_000 });
    const big = randomBytes(1_000_000);
    serve = (runId, offset, token) => growingPatch(srv, runId, token, offset, big.subarray(offset));
    // An upload that never begins is given up only after the command timeout: made longer than this
    // test's own bound, a stalled upload fails the test instead of being waited out.
    const env = srv.ctx.env as { commandTimeoutMs: number };
    const timeout = env.commandTimeoutMs;
    env.commandTimeoutMs = 600_000;
    let runId: string;
    let offsets: number[];
    try {
      runId = await start();
      // All of it arrives while the run still stages: past the reservation, the pull asks for more room.
      await vi.waitFor(async () => expect((await stat(join(srv.ctx.env.spoolDir, `${runId}.partial`))).size).toBe(big.length), { timeout: 60_000 });
      offsets = asked.filter((a) => a.runId === runId).map((a) => a.offset);
      expect(offsets[0]).toBe(0);
      for (let i = 1; i < offsets.length; i++) expect(offsets[i]!).toBeGreaterThanOrEqual(offsets[i - 1]!);
    } finally {
      env.commandTimeoutMs = timeout;
    }
    await complete(runId, big);
    await vi.waitFor(async () => expect((await runOf(runId)).deliveries[0]!.state).toBe("completed"), { timeout: 90_000 });
    expect(sha(await readFile((await runOf(runId)).deliveries[0]!.path!))).toBe(sha(big));
    expect(asked.filter((a) => a.runId === runId).map((a) => a.offset)).toEqual(offsets);
  });
});
