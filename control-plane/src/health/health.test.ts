import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3DestinationConfig } from "@holdfast/shared";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { eq } from "drizzle-orm";
import { KEPT_PROBE_NAME } from "../destinations/probe.js";
import { s3Destination } from "../destinations/s3.js";
import { DIALECTS } from "../testing/databases.js";
import type { FakeAgent } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { startS3Server, type TestS3Server } from "../testing/s3-server.js";
import { seedBackup } from "../testing/seed-backup.js";
import { startWebhookReceiver } from "../testing/webhook-receiver.js";

type Json = Record<string, any>;
const WAIT = { timeout: 20_000, interval: 50 };

// A real control plane checking a datasource through a connected (scripted) agent every 100 ms and
// probing a real folder; alerts reach a real webhook receiver.
describe.each(DIALECTS)("health checks on %s", (dialect) => {
  let srv: TestServer;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let admin: string;
  let viewer: string;
  let agent: FakeAgent;
  let dsId: string;
  let folder: string;
  let s3: TestS3Server;

  beforeAll(async () => {
    receiver = await startWebhookReceiver();
    s3 = await startS3Server();
    srv = await startTestServer(dialect, {
      vars: { HOLDFAST_HEALTH_INTERVAL_MS: "100", HOLDFAST_DESTINATION_PROBE_INTERVAL_MS: "100", HOLDFAST_NOTIFY_BACKOFF_MS: "20", HOLDFAST_DESTINATION_MIN_FREE_BYTES: "0" },
    });
    [admin, viewer] = [await srv.token("admin"), await srv.token("viewer")];
    const events = ["datasource.unhealthy", "datasource.recovered", "destination.unreachable", "destination.recovered", "destination.nearlyFull"];
    expect((await call("POST", "/notification-channels", { name: "hook", type: "webhook", events, config: { url: receiver.url, secret: "webhook-secret-0123456789" } })).status).toBe(201);
    agent = await srv.agent();
    agent.acceptDatasources({ host: "db.internal", port: 5432, database: "shop", username: "app", password: "********" });
    agent.handlers.testDatabaseConnection = () => ({ status: 200, data: { ok: true, latencyMs: 4.2, serverVersion: "PostgreSQL 16.4", databaseSizeBytes: 7_654_321 } });
    const ds = await call("POST", "/datasources", { agentId: agent.identity.agentId, name: "shop", engine: "postgres", connection: { host: "db.internal", port: 5432, database: "shop", username: "app", password: "pw" } });
    expect(ds.status, JSON.stringify(ds.body)).toBe(201);
    dsId = ds.body.id;
    folder = await mkdtemp(join(tmpdir(), "holdfast-health-dest-"));
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
    await receiver?.stop();
    await s3?.stop();
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  async function call(method: string, path: string, json?: unknown, token = admin): Promise<{ status: number; body: Json }> {
    const res = await srv.api(`/api/v1${path}`, { method, token, ...(json === undefined ? {} : { json }) });
    return { status: res.status, body: res.status === 204 ? {} : ((await res.json()) as Json) };
  }

  it("records a healthy datasource's latency, version and size, newest first, readable by a viewer", async () => {
    const health = await vi.waitFor(async () => {
      const res = await call("GET", `/datasources/${dsId}/health?limit=2`, undefined, viewer);
      expect(res.status).toBe(200);
      expect(res.body.checks).toHaveLength(2);
      return res.body;
    }, WAIT);
    expect(health).toMatchObject({ status: "healthy", consecutiveFailures: 0, intervalMinutes: 100 / 60_000 });
    expect(health.checks[0]).toMatchObject({ result: "ok", latencyMs: 4.2, serverVersion: "PostgreSQL 16.4", sizeBytes: 7_654_321, error: null });
    expect(Date.parse(health.checks[0].checkedAt)).toBeGreaterThanOrEqual(Date.parse(health.checks[1].checkedAt));
    const list = await call("GET", "/datasources", undefined, viewer);
    expect(list.body.items[0].health).toMatchObject({ status: "healthy", lastCheck: { result: "ok" } });
  });

  it("alerts once after three failed checks and sends a recovery on the next success", async () => {
    agent.handlers.testDatabaseConnection = () => ({ error: { code: "DATABASE_AUTH_FAILED", message: 'password authentication failed for user "app"', retryable: false } });
    await vi.waitFor(() => expect(receiver.of("datasource.unhealthy")).toHaveLength(1), WAIT);
    const alert = receiver.of("datasource.unhealthy")[0]!.body;
    expect(alert).toMatchObject({ severity: "warning", subject: { datasourceId: dsId } });
    expect(alert.text).toContain("DATABASE_AUTH_FAILED");
    // More failures keep the one open alert: the records of sends show no second one.
    const failing = await vi.waitFor(async () => {
      const res = await call("GET", `/datasources/${dsId}/health`);
      expect(res.body.consecutiveFailures).toBeGreaterThanOrEqual(5);
      return res.body;
    }, WAIT);
    expect(failing).toMatchObject({ status: "critical", lastCheck: { result: "auth_failed", error: { code: "DATABASE_AUTH_FAILED" } } });
    const sends = await call("GET", "/notification-sends");
    expect(sends.body.items.filter((s: Json) => s.kind === "datasource.unhealthy")).toHaveLength(1);

    agent.handlers.testDatabaseConnection = () => ({ status: 200, data: { ok: true, latencyMs: 3, serverVersion: "PostgreSQL 16.4", databaseSizeBytes: 1 } });
    await vi.waitFor(() => expect(receiver.of("datasource.recovered")).toHaveLength(1), WAIT);
    expect((await call("GET", `/datasources/${dsId}/health`)).body.status).toBe("healthy");
  });

  it("counts a disconnected agent as unreachable", async () => {
    agent.close();
    const health = await vi.waitFor(async () => {
      const res = await call("GET", `/datasources/${dsId}/health`);
      expect(res.body.lastCheck.result).toBe("unreachable");
      return res.body;
    }, WAIT);
    expect(health.lastCheck.error.code).toBe("AGENT_OFFLINE");
  });

  it("probes a destination: a folder replaced by a file alerts, the folder back recovers", async () => {
    const dest = await call("POST", "/destinations", { name: "folder", type: "local", config: { path: folder } });
    expect(dest.status, JSON.stringify(dest.body)).toBe(201);
    const id = dest.body.id as string;
    const healthy = await vi.waitFor(async () => {
      const res = await call("GET", `/destinations/${id}`, undefined, viewer);
      expect(res.body.health.status).toBe("healthy");
      return res.body.health;
    }, WAIT);
    expect(healthy.lastCheck.freeBytes).toBeGreaterThan(0);

    await rm(folder, { recursive: true });
    await writeFile(folder, "not a folder");
    await vi.waitFor(() => expect(receiver.of("destination.unreachable")).toHaveLength(1), WAIT);
    expect(receiver.of("destination.unreachable")[0]!.body).toMatchObject({ subject: { destinationId: id } });
    const listed = await call("GET", "/destinations", undefined, viewer);
    expect(listed.body.items.find((d: Json) => d.id === id).health.lastCheck).toMatchObject({ result: expect.not.stringMatching(/^ok$/) });

    await rm(folder);
    await vi.waitFor(() => expect(receiver.of("destination.recovered")).toHaveLength(1), WAIT);
    expect((await call("GET", `/destinations/${id}`)).body.health.status).toBe("healthy");
  });

  it("probes a destination whose credentials cannot delete: healthy, no alert, one probe object overwritten rather than one per probe", async () => {
    const config = s3.config({ prefix: `health-${dialect}`, ...s3.writeOnly });
    const dest = await call("POST", "/destinations", { name: "write-only", type: "s3", config });
    expect(dest.status, JSON.stringify(dest.body)).toBe(201);
    const id = dest.body.id as string;
    expect(dest.body.deleteDeniedAt).not.toBeNull();
    const { db, t } = srv.ctx.database;
    await vi.waitFor(async () => expect((await db.select().from(t.healthChecks).where(eq(t.healthChecks.subjectId, id))).length).toBeGreaterThanOrEqual(3), WAIT);
    expect((await call("GET", `/destinations/${id}`)).body.health.status).toBe("healthy");
    expect(receiver.of("destination.unreachable").filter((h) => (h.body as Json).subject.destinationId === id)).toEqual([]);
    // The creation's probe (a random name) and the periodic probes' one name, nothing more.
    const names = (await s3Destination(S3DestinationConfig.parse(config)).list("")).map((e) => e.name);
    expect(names).toHaveLength(2);
    expect(names).toContain(KEPT_PROBE_NAME);
    expect((await call("GET", `/destinations/${id}`)).body.deleteDeniedAt).toBe(dest.body.deleteDeniedAt);
  });

  it("alerts when Holdfast's bytes pass 90% of a destination's quota, and recovers when the quota is raised", async () => {
    const dest = await call("POST", "/destinations", { name: "quota", type: "local", config: { path: join(srv.dir, "quota-folder") }, maxSizeGb: 0.000001 });
    expect(dest.status, JSON.stringify(dest.body)).toBe(201);
    const id = dest.body.id as string;
    // A delivered backup of 950 bytes, recorded as Holdfast's own: 95% of the 1000-byte quota.
    await seedBackup(srv.ctx, { agentId: agent.identity.agentId, datasourceId: dsId, destinationIds: [id], bytes: Buffer.alloc(950), spooled: false });
    const { db, t } = srv.ctx.database;
    await db.update(t.deliveries).set({ state: "completed", bytes: 950 }).where(eq(t.deliveries.destinationId, id));
    await vi.waitFor(() => expect(receiver.of("destination.nearlyFull")).toHaveLength(1), WAIT);
    expect(receiver.of("destination.nearlyFull")[0]!.body.text).toContain("950 bytes used");
    expect((await call("GET", `/destinations/${id}`)).body.health).toMatchObject({ status: "warning", usedBytes: 950, nearlyFull: expect.stringContaining("quota") });

    expect((await call("PATCH", `/destinations/${id}`, { maxSizeGb: 1 })).status).toBe(200);
    await vi.waitFor(() => expect(receiver.of("destination.recovered").filter((h) => h.body.conditionKey === `destination-space:${id}`)).toHaveLength(1), WAIT);
  });

  it("refuses a bad interval and an unknown datasource", async () => {
    const bad = await call("PATCH", `/datasources/${dsId}`, { healthIntervalMinutes: 0 });
    expect(bad.status).toBe(400);
    expect((await call("GET", "/datasources/ds_missing/health")).body.error.code).toBe("DATASOURCE_NOT_FOUND");
    const set = await call("PATCH", `/datasources/${dsId}`, { healthIntervalMinutes: 15 });
    expect(set.body.healthIntervalMinutes).toBe(15);
    expect((await call("GET", `/datasources/${dsId}/health`)).body.intervalMinutes).toBe(15);
  });
});
