import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AlertList } from "@holdfast/shared";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { seedDatasource } from "../testing/seed-backup.js";
import { closeCondition, notify } from "./notify.js";

describe.each(DIALECTS)("GET /alerts on %s", (dialect) => {
  let srv: TestServer;
  let viewer: string;

  beforeAll(async () => {
    srv = await startTestServer(dialect);
    viewer = await srv.token("viewer");
  }, 60_000);
  afterAll(async () => srv?.stop());

  const alerts = async () => {
    const res = await srv.api("/api/v1/alerts", { token: viewer });
    expect(res.status).toBe(200);
    return (await res.json()) as AlertList;
  };

  it("lists a problem as open with its subject's name, then as recently closed after its recovery", async () => {
    const { db, t } = srv.ctx.database;
    await db.insert(t.agents).values({ id: "agt_alerts", name: "db-host", hostname: "h", keyId: "k-alerts", publicKeyJwk: "{}", status: "online", createdAt: 0 });
    const datasourceId = await seedDatasource(srv.ctx, "agt_alerts", "invoices");
    const key = `health:${datasourceId}`;
    const unhealthy = { kind: "datasource.unhealthy" as const, subject: { datasourceId }, conditionKey: key, title: "invoices is unhealthy", text: "3 failed checks" };
    await notify(srv.ctx, unhealthy);
    await notify(srv.ctx, { ...unhealthy, title: "invoices is still unhealthy" });

    const opened = await alerts();
    expect(opened.open.find((a) => a.conditionKey === key)).toMatchObject({
      kind: "datasource.unhealthy",
      label: "Datasource unhealthy",
      severity: "warning",
      subject: { type: "datasource", id: datasourceId, name: "invoices" },
      title: "invoices is still unhealthy",
      repeats: 1,
      closedAt: null,
    });
    expect(opened.recentlyClosed.map((a) => a.conditionKey)).not.toContain(key);

    await notify(srv.ctx, { ...unhealthy, kind: "datasource.recovered", title: "invoices recovered" });
    const closed = await alerts();
    expect(closed.open.map((a) => a.conditionKey)).not.toContain(key);
    expect(closed.recentlyClosed.find((a) => a.conditionKey === key)).toMatchObject({ subject: { name: "invoices" }, closedAt: expect.any(String) });

    // The same problem again reopens it, counted afresh.
    await notify(srv.ctx, unhealthy);
    expect((await alerts()).open.find((a) => a.conditionKey === key)).toMatchObject({ repeats: 0, closedAt: null, title: "invoices is unhealthy" });
  });

  it("orders critical before warning, and keeps the id of an unknown object; a condition closed without an event kind is closed too", async () => {
    await notify(srv.ctx, { kind: "agent.offline", subject: { agentId: "agt_gone" }, conditionKey: "agent:agt_gone", title: "agent offline", text: "." });
    await notify(srv.ctx, { kind: "delivery.failed", subject: { destinationId: "dst_gone" }, conditionKey: "delivery:dst_gone", title: "delivery failed", text: "." });
    const { open } = await alerts();
    const order = open.map((a) => a.conditionKey).filter((k) => k === "agent:agt_gone" || k === "delivery:dst_gone");
    expect(order).toEqual(["delivery:dst_gone", "agent:agt_gone"]);
    // Deleted or unknown objects keep their id, with no name.
    expect(open.find((a) => a.conditionKey === "agent:agt_gone")?.subject).toEqual({ type: "agent", id: "agt_gone", name: null });
    expect(await closeCondition(srv.ctx, "delivery:dst_gone")).toBe(true);
    expect(await closeCondition(srv.ctx, "delivery:dst_gone")).toBe(false);
    expect((await alerts()).recentlyClosed.map((a) => a.conditionKey)).toContain("delivery:dst_gone");
  });
});
