import { createHash, randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { parse as parseYaml } from "yaml";
import { AGENT_ROUTES, UPLOAD_OFFSET_HEADER } from "@holdfast/shared";
import { connect, type FakeAgent } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { parseExposition, sample } from "../testing/prometheus-text.js";
import { notify } from "../notifications/index.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const PG = { host: "db.internal", port: 5432, database: "shop", username: "backup" };
const TOKEN = "m".repeat(40);
const DOCS = join(import.meta.dirname, "../../../docs");

function patch(srv: TestServer, runId: string, token: string, offset: number, body: Buffer) {
  return fetch(`${srv.url}${AGENT_ROUTES.artifacts}/${runId}`, {
    method: "PATCH",
    headers: { authorization: `Bearer ${token}`, [UPLOAD_OFFSET_HEADER]: String(offset), "content-type": "application/offset+octet-stream" },
    body: new Uint8Array(body),
  });
}

describe("/metrics behind a proxy: the bearer token", () => {
  let srv: TestServer;
  beforeAll(async () => {
    // The test's own address is the trusted proxy, so nothing it sends counts as direct loopback.
    srv = await startTestServer("sqlite", { scheduler: false, vars: { HOLDFAST_METRICS_TOKEN: TOKEN, HOLDFAST_TRUSTED_PROXIES: "127.0.0.1" } });
  });
  afterAll(async () => srv?.stop());
  const scrape = (authorization?: string) =>
    fetch(`${srv.url}/metrics`, { headers: { "x-forwarded-for": "203.0.113.7", ...(authorization ? { authorization } : {}) } });

  it("refuses a scrape relayed from elsewhere without the token, or with another one, and counts the refusals", async () => {
    for (const auth of [undefined, `Bearer ${"x".repeat(40)}`, `Bearer ${TOKEN}x`, TOKEN]) {
      const res = await scrape(auth);
      expect(res.status).toBe(401);
      const body = await res.text();
      expect(JSON.parse(body)).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
      expect(body).not.toContain("holdfast_");
    }
    const res = await scrape(`Bearer ${TOKEN}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(parseExposition(await res.text()), "holdfast_refused_authentications_total", { credential: "metrics_token" })).toBe(4);
  });
});

describe("/metrics counting a real backup", () => {
  let srv: TestServer;
  let agent: FakeAgent;
  let admin: string;
  let dsId: string;
  let destId: string;
  let text: string;

  beforeAll(async () => {
    srv = await startTestServer("sqlite", { scheduler: false });
    admin = await srv.token("admin");
    agent = await srv.agent();
    agent.acceptDatasources(PG);
    agent.acceptBackups();
    const ds = await srv.api("/api/v1/datasources", { method: "POST", token: admin, json: { agentId: agent.identity.agentId, name: "shop", engine: "postgres", connection: PG } });
    dsId = ((await ds.json()) as { id: string }).id;
    const dst = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "disk", type: "local", config: { path: join(srv.dir, "backups") } } });
    destId = ((await dst.json()) as { id: string }).id;
  });
  afterAll(async () => srv?.stop());

  // No token is configured: this host scraping directly is enough.
  const scrape = async () => {
    const res = await fetch(`${srv.url}/metrics`);
    expect(res.status).toBe(200);
    text = await res.text();
    return parseExposition(text);
  };

  async function backup(artifact: Buffer, claimedSha: string, cutAt?: number): Promise<string> {
    let pulls = 0;
    agent.handlers.readArtifact = (f) => {
      const { runId, offset, uploadToken } = f.payload as { runId: string; offset: number; uploadToken: string };
      pulls += 1;
      const end = pulls === 1 && cutAt !== undefined ? cutAt : artifact.length;
      setImmediate(() => void patch(srv, runId, uploadToken, offset, artifact.subarray(offset, end)));
      return { status: 202, data: { runId, sizeBytes: artifact.length, sha256: claimedSha } };
    };
    const res = await srv.api(`/api/v1/datasources/${dsId}/backups`, { method: "POST", token: admin, json: { destinationIds: [destId] } });
    const { runId } = (await res.json()) as { runId: string };
    const started = new Date(Date.now() - 90_000).toISOString();
    await agent.sendEvent("backupStarted", { datasourceId: dsId, startedAt: started }, runId);
    await agent.sendEvent(
      "backupCompleted",
      { finishedAt: new Date().toISOString(), sizeBytes: artifact.length, rawSizeBytes: artifact.length * 3, sha256: claimedSha, codec: "gzip", fileName: `${runId}.sql.gz` },
      runId,
    );
    return runId;
  }
  const deliveryState = async (runId: string) =>
    ((await (await srv.api(`/api/v1/runs/${runId}`, { token: admin })).json()) as { deliveries: Array<{ state: string }> }).deliveries[0]?.state;

  it("shows a datasource with no good backup yet as infinitely old, and the agent online", async () => {
    const s = await scrape();
    expect(sample(s, "holdfast_last_good_backup_age_seconds", { datasource: "shop", datasource_id: dsId })).toBe(Infinity);
    expect(sample(s, "holdfast_agents", { status: "online" })).toBe(1);
    expect(sample(s, "holdfast_agents", { status: "offline" })).toBe(0);
    expect(sample(s, "holdfast_runs", { kind: "backup", state: "completed" })).toBe(0);
  });

  it("counts a completed backup: its run, duration, size, the pull resumed after a cut, the delivery, and a fresh last good backup", async () => {
    const artifact = randomBytes(300_000);
    const runId = await backup(artifact, sha(artifact), 100_000);
    await vi.waitFor(async () => expect(await deliveryState(runId)).toBe("completed"), { timeout: 15_000 });
    const s = await scrape();
    expect(sample(s, "holdfast_runs", { kind: "backup", state: "completed" })).toBe(1);
    expect(sample(s, "holdfast_run_duration_seconds_count", { kind: "backup", state: "completed" })).toBe(1);
    // Started 90 s before it finished: in the bucket of up to 5 minutes, not in the one of up to 1.
    expect(sample(s, "holdfast_run_duration_seconds_bucket", { kind: "backup", state: "completed", le: "60" })).toBe(0);
    expect(sample(s, "holdfast_run_duration_seconds_bucket", { kind: "backup", state: "completed", le: "300" })).toBe(1);
    expect(sample(s, "holdfast_run_bytes_sum", { kind: "backup" })).toBe(300_000);
    expect(sample(s, "holdfast_transfer_bytes_total", { direction: "from_agent" })).toBe(300_000);
    expect(sample(s, "holdfast_transfer_bytes_total", { direction: "to_destination" })).toBeGreaterThanOrEqual(300_000);
    expect(sample(s, "holdfast_transfer_resumes_total")).toBe(1);
    expect(sample(s, "holdfast_deliveries", { state: "completed", error_code: "" })).toBe(1);
    expect(sample(s, "holdfast_queue_depth", { agent_id: agent.identity.agentId })).toBe(0);
    const age = sample(s, "holdfast_last_good_backup_age_seconds", { datasource_id: dsId })!;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(60);
    expect(sample(s, "holdfast_backup_overdue", { datasource_id: dsId })).toBe(0);
    // The process's own series carry the prefix too.
    expect(s.some((x) => x.name === "holdfast_process_resident_memory_bytes" || x.name === "holdfast_nodejs_heap_size_used_bytes")).toBe(true);
    expect(s.every((x) => x.name.startsWith("holdfast_"))).toBe(true);
  });

  it("shows a delivery that failed by its error code", async () => {
    const artifact = randomBytes(20_000);
    const runId = await backup(artifact, "f".repeat(64));
    await vi.waitFor(async () => expect(await deliveryState(runId)).toBe("failed"), { timeout: 15_000 });
    const s = await scrape();
    expect(sample(s, "holdfast_deliveries", { state: "failed", error_code: "CHECKSUM_MISMATCH" })).toBe(1);
    expect(sample(s, "holdfast_deliveries", { state: "completed", error_code: "" })).toBe(1);
  });

  it("counts refused credentials: an unknown API token, a wrong password, an agent's bad link credential", async () => {
    expect((await srv.api("/api/v1/runs", { token: "hf_api_notatokenatall" })).status).toBe(401);
    const signIn = await srv.api("/api/v1/session", { method: "POST", json: { email: "admin@test.local", password: "not the password at all" } });
    expect(signIn.status).toBe(401);
    const link = await connect(srv.url, "not.a.jwt");
    expect(link.ok ? 101 : link.status).toBe(401);
    const s = await scrape();
    expect(sample(s, "holdfast_refused_authentications_total", { credential: "api-token" })).toBe(1);
    expect(sample(s, "holdfast_refused_authentications_total", { credential: "session", code: "INVALID_CREDENTIALS" })).toBe(1);
    expect(sample(s, "holdfast_refused_authentications_total", { credential: "agent" })).toBe(1);
  });

  it("counts notification sends by channel type and outcome, and shows the open alerts by kind and severity", async () => {
    // A receiver that takes `/ok` and refuses everything else for good (401: not retried).
    const receiver = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(req.url === "/ok" ? 204 : 401).end());
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    try {
      for (const path of ["/ok", "/revoked"]) {
        const res = await srv.api("/api/v1/notification-channels", { method: "POST", token: admin, json: { name: `hook ${path}`, type: "webhook", config: { url: `${base}${path}`, secret: "s".repeat(24) } } });
        expect(res.status).toBe(201);
      }
      await notify(srv.ctx, { kind: "backup.failed", subject: { datasourceId: dsId }, conditionKey: `backup:${dsId}`, title: "Backup of shop failed", text: "boom" });
      await vi.waitFor(
        async () => {
          const s = await scrape();
          expect(sample(s, "holdfast_notification_sends_total", { channel_type: "webhook", outcome: "sent" })).toBe(1);
          expect(sample(s, "holdfast_notification_sends_total", { channel_type: "webhook", outcome: "failed" })).toBe(1);
        },
        { timeout: 15_000 },
      );
      expect(sample(await scrape(), "holdfast_open_alerts", { kind: "backup.failed", severity: "critical" })).toBe(1);
      await notify(srv.ctx, { kind: "backup.succeeded", subject: { datasourceId: dsId }, conditionKey: `backup:${dsId}`, title: "Backup of shop completed", text: "ok" });
      expect(sample(await scrape(), "holdfast_open_alerts", { kind: "backup.failed", severity: "critical" })).toBeUndefined();
    } finally {
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });

  it("ships alert rules and a dashboard that query only series this endpoint exposes", async () => {
    await scrape();
    const exposed = new Set(parseExposition(text).map((x) => x.name));
    const used = (expr: string) => [...expr.matchAll(/\bholdfast_[a-z_]+/g)].map((m) => m[0]);

    const rules = parseYaml(await readFile(join(DOCS, "prometheus-alerts.yml"), "utf8")) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
    const alerts = rules.groups.flatMap((g) => g.rules);
    expect(alerts.map((r) => r.alert)).toEqual(expect.arrayContaining(["HoldfastBackupTooOld", "HoldfastAgentOffline", "HoldfastDeliveriesFailing", "HoldfastBackupsFailing"]));
    for (const rule of alerts) {
      expect(used(rule.expr), rule.alert).not.toEqual([]);
      for (const name of used(rule.expr)) expect(exposed, `${rule.alert} uses ${name}`).toContain(name);
    }

    const dashboard = JSON.parse(await readFile(join(DOCS, "grafana-dashboard.json"), "utf8")) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(5);
    for (const { title, expr } of exprs) for (const name of used(expr)) expect(exposed, `${title} uses ${name}`).toContain(name);
  });
});
