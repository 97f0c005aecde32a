import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeAgent } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";

const PG = { host: "db.internal", port: 5432, database: "shop", username: "backup" };
const ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const HOUR = 3_600_000;
const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const floorMinute = (ms: number) => Math.floor(ms / 60_000) * 60_000;
/** A window every day from two hours ago to two hours ahead (UTC): now is inside it whatever the time. */
const aroundNow = () => ({ days: ALL_DAYS, from: hhmm(Date.now() - 2 * HOUR), to: hhmm(Date.now() + 2 * HOUR) });

describe("blackout windows through the API", () => {
  let srv: TestServer;
  let operator: string;
  let agent: FakeAgent;
  let dsId: string;
  let destId: string;

  const call = async (method: string, path: string, json?: unknown) => {
    const res = await srv.api(`/api/v1${path}`, { method, token: operator, ...(json === undefined ? {} : { json }) });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const auditOf = async (action: string) => {
    const { db, t } = srv.ctx.database;
    return (await db.select().from(t.auditLog)).filter((r) => r.action === action).map((r) => ({ target: JSON.parse(r.target), fields: r.fields && JSON.parse(r.fields), status: r.status }));
  };
  const runCount = async () => (await srv.ctx.database.db.select().from(srv.ctx.database.t.runs)).length;

  beforeAll(async () => {
    srv = await startTestServer("sqlite", { scheduler: false });
    operator = await srv.token("operator");
    agent = await srv.agent();
    agent.acceptDatasources(PG);
    agent.acceptBackups();
    dsId = (await call("POST", "/datasources", { agentId: agent.identity.agentId, name: "shop", engine: "postgres", connection: PG })).body.id;
    destId = (await call("POST", "/destinations", { name: "disk", type: "local", config: { path: `${srv.dir}/backups` } })).body.id;
  });
  afterAll(async () => srv?.stop());

  it("sets an agent's windows and zone, shows them, refuses a zone or a window it cannot read; audited with the fields' names", async () => {
    const agentId = agent.identity.agentId;
    const set = await call("PATCH", `/agents/${agentId}`, { blackout: [{ days: ["sat", "sun"], from: "22:00", to: "06:00" }], timezone: "America/Sao_Paulo" });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ blackout: [{ days: ["sat", "sun"], from: "22:00", to: "06:00" }], timezone: "America/Sao_Paulo" });
    expect((await call("GET", `/agents/${agentId}`)).body).toMatchObject({ timezone: "America/Sao_Paulo", blackout: [{ from: "22:00" }] });
    const badZone = await call("PATCH", `/agents/${agentId}`, { timezone: "Mars/Base" });
    expect(badZone).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED", details: { issues: [{ path: "timezone" }] } } } });
    const noDays = await call("PATCH", `/agents/${agentId}`, { blackout: [{ days: [], from: "01:00", to: "02:00" }] });
    expect(noDays).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED" } } });
    expect((await call("GET", `/agents/${agentId}`)).body.timezone).toBe("America/Sao_Paulo");
    expect((await auditOf("PATCH /agents/:id"))[0]).toEqual({ target: { id: agentId }, fields: ["blackout", "timezone"], status: 200 });
    expect((await call("PATCH", `/agents/${agentId}`, { blackout: [], timezone: "UTC" })).body).toMatchObject({ blackout: [], timezone: "UTC" });
  });

  it("refuses a backup now inside the agent's window with 409 naming it and its end; force runs it and the audit says so", async () => {
    const window = aroundNow();
    await call("PATCH", `/agents/${agent.identity.agentId}`, { blackout: [window] });
    try {
      const before = Date.now();
      const refused = await call("POST", `/datasources/${dsId}/backups`, { destinationIds: [destId] });
      expect(refused.status).toBe(409);
      expect(refused.body.error).toMatchObject({
        code: "BLACKOUT_WINDOW",
        retryable: true,
        message: expect.stringContaining(`agent window mon,tue,wed,thu,fri,sat,sun ${window.from}-${window.to} (UTC)`),
        details: { window: { source: "agent", from: window.from, to: window.to, timezone: "UTC" } },
      });
      expect([before, Date.now()].map((t) => new Date(floorMinute(t + 2 * HOUR)).toISOString())).toContain(refused.body.error.details.endsAt);
      expect(await runCount()).toBe(0);

      const forced = await call("POST", `/datasources/${dsId}/backups`, { destinationIds: [destId], force: true });
      expect(forced.body).toMatchObject({ runId: expect.any(String) });
      expect(forced.status).toBe(202);
      const runId = forced.body.runId as string;
      expect(await auditOf("backup.forcedInBlackout")).toEqual([
        { target: { datasourceId: dsId, runId, blackoutWindow: `agent window mon,tue,wed,thu,fri,sat,sun ${window.from}-${window.to} (UTC)` }, fields: [], status: 202 },
      ]);
      expect((await auditOf("POST /datasources/:id/backups")).map((a) => [a.status, a.fields])).toEqual([
        [409, ["destinationIds"]],
        [202, ["destinationIds", "force"]],
      ]);
    } finally {
      await call("PATCH", `/agents/${agent.identity.agentId}`, { blackout: [] });
    }
  });

  it("a schedule's windows: stored and returned, its Run now refused inside them, its next run after them", async () => {
    const window = aroundNow();
    const created = await call("POST", "/schedules", { datasourceId: dsId, cron: "*/5 * * * *", timezone: "UTC", destinationIds: [destId], blackout: [window], blackoutMisfire: "skip" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ blackout: [window], blackoutMisfire: "skip" });
    // Skipped firings do not run: the next run is the first firing at or after the window's end.
    const end = new Date(created.body.nextFireAt).getTime();
    expect(end).toBeGreaterThanOrEqual(floorMinute(Date.now() + 2 * HOUR) - 60_000);
    expect(end).toBeLessThanOrEqual(Date.now() + 2 * HOUR + 5 * 60_000);

    const runNow = await call("POST", `/datasources/${dsId}/backups`, { destinationIds: [destId], scheduleId: created.body.id });
    expect(runNow.status).toBe(409);
    expect(runNow.body.error.details.window).toMatchObject({ source: "schedule" });
    // A backup of the datasource that is not this schedule's Run now: the agent has no window.
    expect((await call("POST", `/datasources/${dsId}/backups`, { destinationIds: [destId] })).status).toBe(202);

    const updated = await call("PATCH", `/schedules/${created.body.id}`, { blackout: [], blackoutMisfire: "defer" });
    expect(updated.body).toMatchObject({ blackout: [], blackoutMisfire: "defer" });
    expect(new Date(updated.body.nextFireAt).getTime()).toBeLessThanOrEqual(Date.now() + 5 * 60_000);
    expect((await call("POST", `/schedules`, { datasourceId: dsId, cron: "0 3 * * *", timezone: "UTC", destinationIds: [destId], blackout: [{ days: ["mon"], from: "01:00", to: "01:00" }] })).status).toBe(400);
  });

  it("previews a draft cron around draft windows: deferred to the window's end, or skipped", async () => {
    const q = (extra: string, count = 3) => call("GET", `/schedules/preview?cron=${encodeURIComponent("0 * * * *")}&timezone=UTC&count=${count}${extra}`);
    const plain = (await q("", 4)).body.next as string[];
    const firstHour = plain[0]!.slice(11, 16);
    const nextHour = plain[1]!.slice(11, 16);
    const blackout = `&blackout=${encodeURIComponent(`mon,tue,wed,thu,fri,sat,sun ${firstHour}-${nextHour}`)}`;
    // The first firing is inside the window [first, second): skipped, or deferred onto the second (one run).
    expect((await q(`${blackout}&blackoutMisfire=skip`)).body.next).toEqual(plain.slice(1));
    expect((await q(blackout)).body.next).toEqual(plain.slice(1));
    expect((await q("&blackout=mon%2001:00")).status).toBe(400);
  });
});
