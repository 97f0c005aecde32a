import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { parseExposition, sample } from "../testing/prometheus-text.js";
import { seedBackup, seedDatasource } from "../testing/seed-backup.js";
import { catalogueRegistry } from "./catalogue-series.js";

describe.each(DIALECTS)("the catalogue's gauges on %s", (dialect) => {
  let srv: TestServer;
  let agentId: string;
  let dsId: string;

  beforeAll(async () => {
    srv = await startTestServer(dialect, { scheduler: false });
    agentId = (await srv.agent()).identity.agentId;
    dsId = await seedDatasource(srv.ctx, agentId, "orders");
    const admin = await srv.token("admin");
    const dst = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "disk", type: "local", config: { path: `${srv.dir}/backups` } } });
    const destId = ((await dst.json()) as { id: string }).id;
    const seed = (state: string) => seedBackup(srv.ctx, { agentId, datasourceId: dsId, destinationIds: [destId], bytes: Buffer.from("x"), state, spooled: false });
    const unreachable = await seed("failed");
    await seed("failed");
    await seed("queued");
    const { db, t } = srv.ctx.database;
    const error = JSON.stringify({ code: "DESTINATION_UNREACHABLE", message: "no route to host", retryable: true });
    await db.update(t.deliveries).set({ error }).where(eq(t.deliveries.runId, unreachable));
  });
  afterAll(async () => srv?.stop());

  it("reads runs, queue depth, agents, deliveries by error code and backup age from the database at each scrape", async () => {
    const registry = catalogueRegistry(srv.ctx);
    const s = parseExposition(await registry.metrics());
    expect(sample(s, "holdfast_runs", { kind: "backup", state: "failed" })).toBe(2);
    expect(sample(s, "holdfast_runs", { kind: "backup", state: "queued" })).toBe(1);
    expect(sample(s, "holdfast_runs", { kind: "restore", state: "failed" })).toBe(0);
    expect(sample(s, "holdfast_queue_depth", { agent_id: agentId })).toBe(1);
    expect(sample(s, "holdfast_agents", { status: "online" })).toBe(1);
    expect(sample(s, "holdfast_deliveries", { state: "failed", error_code: "DESTINATION_UNREACHABLE" })).toBe(1);
    expect(sample(s, "holdfast_deliveries", { state: "failed", error_code: "" })).toBe(2);
    expect(sample(s, "holdfast_last_good_backup_age_seconds", { datasource: "orders" })).toBe(Infinity);
    expect(sample(s, "holdfast_backup_overdue", { datasource: "orders" })).toBe(0);

    // A second scrape reads again: a run that moved on is counted where it is now.
    const { db, t } = srv.ctx.database;
    await db.update(t.runs).set({ state: "cancelled" }).where(eq(t.runs.state, "queued"));
    const again = parseExposition(await registry.metrics());
    expect(sample(again, "holdfast_runs", { kind: "backup", state: "queued" })).toBe(0);
    expect(sample(again, "holdfast_queue_depth", { agent_id: agentId })).toBe(0);
  });
});
