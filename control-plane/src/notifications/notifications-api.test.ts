import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { REDACTED } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DIALECTS } from "../testing/databases.js";
import { FakeAgent } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { seedBackup, seedDatasource } from "../testing/seed-backup.js";
import { notify } from "./notify.js";

type Json = Record<string, unknown> & { id: string; items?: Record<string, unknown>[]; error?: { code: string; message: string } };
interface Hit {
  path: string;
  body: Record<string, unknown>;
}

/** A webhook receiver: `/flaky-N` answers 503 to its first N requests, `/down` always 401. */
async function startReceiver() {
  const hits: Hit[] = [];
  const counts = new Map<string, number>();
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      const n = (counts.get(path) ?? 0) + 1;
      counts.set(path, n);
      const flaky = /^\/flaky-(\d+)$/.exec(path);
      if (path === "/down") return res.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ message: "this hook was revoked" }));
      if (flaky && n <= Number(flaky[1])) return res.writeHead(503).end("busy");
      hits.push({ path, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown> });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, hits, on: (path: string) => hits.filter((h) => h.path === path), stop: () => new Promise<void>((r) => server.close(() => r())) };
}

describe.each(DIALECTS)("notifications on %s", (dialect) => {
  let srv: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let admin: string;
  let viewer: string;
  const secret = "webhook-secret-0123456789";

  beforeAll(async () => {
    receiver = await startReceiver();
    srv = await startTestServer(dialect, { vars: { HOLDFAST_NOTIFY_BACKOFF_MS: "20", HOLDFAST_NOTIFY_ATTEMPTS: "4", HOLDFAST_NOTIFY_AGENT_OFFLINE_MS: "300", HOLDFAST_DELIVERY_ATTEMPTS: "1" } });
    [admin, viewer] = [await srv.token("admin"), await srv.token("viewer")];
  }, 60_000);
  afterAll(async () => {
    await srv?.stop();
    await receiver?.stop();
  });

  const call = async (method: string, path: string, json?: unknown, token = admin) => {
    const res = await srv.api(`/api/v1${path}`, { method, token, ...(json === undefined ? {} : { json }) });
    return { status: res.status, body: (res.status === 204 ? {} : await res.json()) as Json };
  };
  const webhook = async (path: string, extra: Record<string, unknown> = {}) => {
    const res = await call("POST", "/notification-channels", { name: `hook ${path}`, type: "webhook", config: { url: `${receiver.url}${path}`, secret }, ...extra });
    expect(res.status).toBe(201);
    return res.body.id;
  };
  const channelCount = async () => (await srv.ctx.database.db.select().from(srv.ctx.database.t.notificationChannels)).length;

  it("keeps a channel's secret sealed and write-only, lets viewers list, and only admins change", async () => {
    const id = await webhook("/plain");
    const listed = await call("GET", "/notification-channels", undefined, viewer);
    expect(listed.status).toBe(200);
    const item = listed.body.items!.find((c) => c.id === id)!;
    expect(item).toMatchObject({ type: "webhook", config: { secret: REDACTED }, minSeverity: "info", enabled: true });
    expect(item.events).toContain("backup.failed");
    expect(item.events).not.toContain("backup.succeeded");
    const { db, t } = srv.ctx.database;
    const row = (await db.select().from(t.notificationChannels).where(eq(t.notificationChannels.id, id)))[0]!;
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(row.secrets).toMatch(/^v1\./);
    expect((await call("POST", "/notification-channels", { name: "x", type: "webhook", config: { url: receiver.url, secret } }, viewer)).status).toBe(403);
    // Sent back as the mask, the secret is kept.
    const renamed = await call("PATCH", `/notification-channels/${id}`, { name: "renamed", config: { secret: REDACTED, url: `${receiver.url}/plain` } });
    expect(renamed.status).toBe(200);
    const tested = await call("POST", `/notification-channels/${id}/test`);
    expect(tested.body).toEqual({ ok: true });
    expect(receiver.on("/plain").at(-1)!.body).toMatchObject({ title: "Holdfast test notification" });
    expect((await call("DELETE", `/notification-channels/${id}`)).status).toBe(204);
  });

  it("refuses an unknown event kind or severity with 400 naming it, and the metadata address with 422; nothing stored", async () => {
    const before = await channelCount();
    const kind = await call("POST", "/notification-channels", { name: "x", type: "webhook", events: ["backup.failed", "backup.exploded"], config: { url: receiver.url, secret } });
    expect(kind.status).toBe(400);
    expect(kind.body.error).toMatchObject({ code: "VALIDATION_FAILED" });
    expect(kind.body.error!.message).toContain("backup.exploded");
    const severity = await call("POST", "/notification-channels", { name: "x", type: "webhook", minSeverity: "apocalyptic", config: { url: receiver.url, secret } });
    expect(severity.status).toBe(400);
    expect(severity.body.error!.message).toContain("apocalyptic");
    const ssrf = await call("POST", "/notification-channels", { name: "x", type: "webhook", config: { url: "http://169.254.169.254/latest/meta-data/", secret } });
    expect(ssrf.status).toBe(422);
    expect(ssrf.body.error).toMatchObject({ code: "NOTIFICATION_ENDPOINT_FORBIDDEN" });
    const smtp = await call("POST", "/notification-channels", { name: "x", type: "email", config: { host: "169.254.169.254", from: "a@example.com", to: ["b@example.com"] } });
    expect(smtp.status).toBe(422);
    expect(await channelCount()).toBe(before);
  });

  it("'Send test' reports the remote's reason when it refuses", async () => {
    const id = await webhook("/down");
    const tested = await call("POST", `/notification-channels/${id}/test`);
    expect(tested.status).toBe(200);
    expect(tested.body).toMatchObject({ ok: false, error: { code: "NOTIFICATION_SEND_FAILED" } });
    expect(tested.body.error!.message).toContain("this hook was revoked");
    await call("DELETE", `/notification-channels/${id}`);
  });

  it("retries a failing channel with backoff while the others deliver, and lists each send's outcome", async () => {
    const good = await webhook("/good");
    const flaky = await webhook("/flaky-2");
    const down = await webhook("/down");
    const outcome = await notify(srv.ctx, { kind: "backup.failed", subject: { datasourceId: "ds_x" }, conditionKey: `test:${randomBytes(4).toString("hex")}`, title: "Backup of x failed", text: "boom" });
    expect(outcome).toEqual({ sends: 3, collapsed: false });
    await vi.waitFor(() => expect(receiver.on("/good")).toHaveLength(1), { timeout: 15_000 });
    await vi.waitFor(() => expect(receiver.on("/flaky-2")).toHaveLength(1), { timeout: 15_000 });
    await vi.waitFor(async () => {
      const sends = (await call("GET", "/notification-sends", undefined, viewer)).body.items!;
      expect(sends.find((s) => s.channelId === good)).toMatchObject({ state: "sent", attempts: 1, kind: "backup.failed", title: "Backup of x failed" });
      expect(sends.find((s) => s.channelId === flaky)).toMatchObject({ state: "sent", attempts: 3, error: null });
      // A refusal that no retry can fix (401) is final at once.
      expect(sends.find((s) => s.channelId === down)).toMatchObject({ state: "failed", attempts: 1, error: { code: "NOTIFICATION_SEND_FAILED" } });
    }, { timeout: 15_000 });
    for (const id of [good, flaky, down]) await call("DELETE", `/notification-channels/${id}`);
  });

  it("collapses repeats of an open condition until its recovery, and sends only what a channel subscribed to", async () => {
    const all = await webhook("/all", { events: ["backup.failed", "backup.succeeded"] });
    const criticalOnly = await webhook("/critical", { events: ["backup.failed", "backup.succeeded"], minSeverity: "critical" });
    const key = `backup:${randomBytes(4).toString("hex")}`;
    const failed = { kind: "backup.failed" as const, subject: {}, conditionKey: key, title: "Backup failed", text: "boom" };
    expect(await notify(srv.ctx, failed)).toEqual({ sends: 2, collapsed: false });
    expect(await notify(srv.ctx, failed)).toEqual({ sends: 0, collapsed: true });
    // The success (info) closes the condition; the critical-only channel does not hear of it.
    expect(await notify(srv.ctx, { ...failed, kind: "backup.succeeded", title: "Backup completed" })).toEqual({ sends: 1, collapsed: false });
    expect(await notify(srv.ctx, failed)).toEqual({ sends: 2, collapsed: false });
    await vi.waitFor(() => expect(receiver.on("/all").map((h) => h.body.kind)).toEqual(["backup.failed", "backup.succeeded", "backup.failed"]), { timeout: 15_000 });
    await vi.waitFor(() => expect(receiver.on("/critical").map((h) => h.body.kind)).toEqual(["backup.failed", "backup.failed"]), { timeout: 15_000 });
    for (const id of [all, criticalOnly]) await call("DELETE", `/notification-channels/${id}`);
  });

  it("a backup run that fails and a delivery that fails for good are notified", async () => {
    const id = await webhook("/runs", { events: ["backup.failed", "delivery.failed"] });
    const agent = await srv.agent();
    const datasourceId = await seedDatasource(srv.ctx, agent.identity.agentId, "orders");
    // 1,000 bytes of quota: a 5,000-byte artifact is refused for good.
    const dst = await call("POST", "/destinations", { name: "tiny", type: "local", maxSizeGb: 0.000001, config: { path: join(srv.dir, "tiny") } });
    expect(dst.status).toBe(201);
    const runId = await seedBackup(srv.ctx, { agentId: agent.identity.agentId, datasourceId, destinationIds: [dst.body.id], bytes: Buffer.alloc(0), state: "running", spooled: false });
    await agent.sendEvent("backupFailed", { finishedAt: new Date().toISOString(), error: { code: "DUMP_FAILED", message: "pg_dump exited with 1", retryable: false } }, runId);
    await vi.waitFor(() => expect(receiver.on("/runs").map((h) => h.body)).toContainEqual(expect.objectContaining({ kind: "backup.failed", title: "Backup of orders failed", subject: { datasourceId, runId } })), { timeout: 15_000 });
    // The failed run's own deliveries end with it: that is the backup's failure, not another alert.
    expect(receiver.on("/runs").map((h) => h.body.kind)).toEqual(["backup.failed"]);

    await seedBackup(srv.ctx, { agentId: agent.identity.agentId, datasourceId, destinationIds: [dst.body.id], bytes: randomBytes(5_000) });
    srv.deliveries.kick();
    await vi.waitFor(() => expect(receiver.on("/runs").map((h) => h.body)).toContainEqual(expect.objectContaining({ kind: "delivery.failed", title: "A backup did not reach tiny" })), { timeout: 20_000 });
    await call("DELETE", `/notification-channels/${id}`);
    agent.ws.terminate();
  });

  it("a backup the agent refuses at start (a wrong password) is a failed backup, notified like one", async () => {
    await webhook("/refused", { events: ["backup.failed"] });
    const agent = await srv.agent();
    agent.handlers.startBackup = () => ({ error: { code: "DATABASE_AUTH_FAILED", message: "password authentication failed for user \"backup\"", retryable: false } });
    const datasourceId = await seedDatasource(srv.ctx, agent.identity.agentId, "billing");
    const dst = await call("POST", "/destinations", { name: "disk", type: "local", config: { path: join(srv.dir, "refused") } });
    const res = await call("POST", `/datasources/${datasourceId}/backups`, { destinationIds: [dst.body.id] });
    expect(res.status).toBe(422);
    await vi.waitFor(() => expect(receiver.on("/refused").map((h) => h.body)).toContainEqual(expect.objectContaining({ kind: "backup.failed", title: "Backup of billing failed" })), { timeout: 15_000 });
    agent.ws.terminate();
  });

  it("an agent away past the threshold is reported offline, and back when it returns", async () => {
    const id = await webhook("/agents", { events: ["agent.offline", "agent.back"] });
    const agent = await srv.agent();
    const agentId = agent.identity.agentId;
    agent.ws.terminate();
    await vi.waitFor(() => expect(receiver.on("/agents").map((h) => [h.body.kind, (h.body.subject as { agentId: string }).agentId])).toContainEqual(["agent.offline", agentId]), { timeout: 15_000 });
    const again = await FakeAgent.connect(srv.url, agent.identity);
    await vi.waitFor(() => expect(receiver.on("/agents").map((h) => [h.body.kind, (h.body.subject as { agentId: string }).agentId])).toContainEqual(["agent.back", agentId]), { timeout: 15_000 });
    again.ws.terminate();
    await call("DELETE", `/notification-channels/${id}`);
  });
});
