import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FakeAgent } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";

const PG = { host: "db.internal", port: 5432, database: "shop", username: "backup" };

describe("REST API: schedules", () => {
  let srv: TestServer;
  let admin: string;
  let operator: string;
  let viewer: string;
  let agent: FakeAgent;
  let dsId: string;
  let destId: string;

  const post = (path: string, json: unknown, token = operator) => srv.api(`/api/v1${path}`, { method: "POST", token, json });
  const patch = (path: string, json: unknown) => srv.api(`/api/v1${path}`, { method: "PATCH", token: operator, json });
  const get = (path: string, token = viewer) => srv.api(`/api/v1${path}`, { token });
  const body = async (res: Response) => (await res.json()) as Record<string, any>;
  async function errorOf(res: Response) {
    const b = (await res.json()) as { error: Record<string, unknown> };
    return { status: res.status, ...b.error } as Record<string, unknown> & { status: number };
  }
  const count = async () => ((await body(await get("/schedules"))).items as unknown[]).length;
  const valid = () => ({ datasourceId: dsId, cron: "0 3 * * *", timezone: "Asia/Kolkata", destinationIds: [destId] });

  async function datasourceOn(a: FakeAgent, name: string): Promise<string> {
    a.acceptDatasources(PG);
    const res = await post("/datasources", { agentId: a.identity.agentId, name, engine: "postgres", connection: PG }, admin);
    expect(res.status).toBe(201);
    return (await body(res)).id as string;
  }

  beforeAll(async () => {
    srv = await startTestServer("sqlite", { scheduler: false });
    [admin, operator, viewer] = [await srv.token("admin"), await srv.token("operator"), await srv.token("viewer")];
    agent = await srv.agent();
    dsId = await datasourceOn(agent, "shop");
    const dst = await post("/destinations", { name: "disk", type: "local", config: { path: `${srv.dir}/backups` } }, admin);
    destId = (await body(dst)).id as string;
  });
  afterAll(async () => srv.stop());

  it("creates, reads and lists a schedule; a viewer reads but may not create", async () => {
    const res = await post("/schedules", { ...valid(), name: "nightly", options: { format: "custom" }, verify: true, retention: { keepDaily: 7 } });
    expect(res.status).toBe(201);
    const created = await body(res);
    expect(created).toMatchObject({
      id: expect.stringMatching(/^sch_/),
      datasourceId: dsId,
      agentId: agent.identity.agentId,
      name: "nightly",
      cron: "0 3 * * *",
      timezone: "Asia/Kolkata",
      destinationIds: [destId],
      options: { format: "custom" },
      retention: { keepDaily: 7 },
      retry: { attempts: 2, backoffMinutes: 5 },
      verify: true,
      paused: false,
      lastFiredAt: null,
    });
    expect(created.nextFireAt).toMatch(/T03:00:00\+05:30$/);
    expect(await body(await get(`/schedules/${created.id}`))).toEqual(created);
    expect((await body(await get("/schedules"))).items).toContainEqual(created);
    expect(await errorOf(await post("/schedules", valid(), viewer))).toMatchObject({ status: 403, code: "FORBIDDEN" });
  });

  it("folds options.verify into the schedule's verify", async () => {
    const created = await body(await post("/schedules", { ...valid(), options: { verify: true } }));
    expect(created).toMatchObject({ verify: true, options: null });
  });

  it.each([
    [{ cron: "0 3 * *" }, "cron"],
    [{ cron: "61 3 * * *" }, "cron"],
    [{ cron: "0 0 31 2 *" }, "cron"],
    [{ timezone: "Mars/Olympus_Mons" }, "timezone"],
    [{ timezone: "+05:30" }, "timezone"],
    [{ destinationIds: [] }, "destinationIds"],
    [{ options: { schemaOnly: true, dataOnly: true } }, "options"],
    [{ options: { format: "archive" } }, "options.format"],
  ])("refuses %j with 400 naming %s, storing nothing", async (change, field) => {
    const before = await count();
    const err = await errorOf(await post("/schedules", { ...valid(), ...change }));
    expect(err).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
    expect((err.details as { issues: { path: string }[] }).issues.map((i) => i.path)).toContain(field);
    expect(await count()).toBe(before);
  });

  it("refuses an unknown datasource, an unknown or deleted destination with 404, storing nothing", async () => {
    const before = await count();
    expect(await errorOf(await post("/schedules", { ...valid(), datasourceId: "ds_nope" }))).toMatchObject({ status: 404, code: "DATASOURCE_NOT_FOUND" });
    expect(await errorOf(await post("/schedules", { ...valid(), destinationIds: [destId, "dst_nope"] }))).toMatchObject({
      status: 404,
      code: "DESTINATION_NOT_FOUND",
      details: { destinationIds: ["dst_nope"] },
    });
    const doomed = (await body(await post("/destinations", { name: "doomed", type: "local", config: { path: `${srv.dir}/doomed` } }, admin))).id as string;
    expect((await srv.api(`/api/v1/destinations/${doomed}`, { method: "DELETE", token: admin })).status).toBe(204);
    expect(await errorOf(await post("/schedules", { ...valid(), destinationIds: [doomed] }))).toMatchObject({ status: 404, code: "DESTINATION_NOT_FOUND" });
    expect(await count()).toBe(before);
  });

  it("refuses a schedule for a datasource whose agent was revoked, storing nothing", async () => {
    const other = await srv.agent();
    const ds = await datasourceOn(other, "doomed-host");
    expect((await post(`/agents/${other.identity.agentId}/revoke`, {}, admin)).status).toBe(200);
    const before = await count();
    expect(await errorOf(await post("/schedules", { ...valid(), datasourceId: ds }))).toMatchObject({ status: 403, code: "AGENT_REVOKED" });
    expect(await count()).toBe(before);
  });

  it("GET /next answers the next firings with the zone's offset", async () => {
    const kolkata = (await body(await post("/schedules", valid()))).id as string;
    const next = (await body(await get(`/schedules/${kolkata}/next`))).next as string[];
    expect(next).toHaveLength(5);
    for (const [i, at] of next.entries()) {
      expect(at).toMatch(/^\d{4}-\d{2}-\d{2}T03:00:00\+05:30$/);
      if (i > 0) expect(Date.parse(at) - Date.parse(next[i - 1]!)).toBe(86_400_000);
    }
    const sp = (await body(await post("/schedules", { ...valid(), cron: "30 0 12 * * *", timezone: "America/Sao_Paulo" }))).id as string;
    const three = (await body(await get(`/schedules/${sp}/next?count=3`))).next as string[];
    expect(three).toHaveLength(3);
    for (const at of three) expect(at).toMatch(/T12:00:30-03:00$/);
    expect(Date.parse(three[0]!)).toBeGreaterThan(Date.now());
    for (const bad of ["0", "101", "abc", "1.5"]) {
      const err = await errorOf(await get(`/schedules/${sp}/next?count=${bad}`));
      expect(err).toMatchObject({ status: 400, code: "VALIDATION_FAILED", details: { issues: [{ path: "count" }] } });
    }
    expect(await errorOf(await get("/schedules/sch_nope/next"))).toMatchObject({ status: 404, code: "SCHEDULE_NOT_FOUND" });
  });

  it("GET /schedules/preview answers a draft cron's firings to a viewer, and the catalog's refusal naming the field", async () => {
    const res = await get("/schedules/preview?cron=0%203%20*%20*%20*&timezone=America/Sao_Paulo");
    expect(res.status).toBe(200);
    const { timezone, next } = await body(res);
    expect(timezone).toBe("America/Sao_Paulo");
    expect(next).toHaveLength(5);
    for (const at of next as string[]) expect(at).toMatch(/T03:00:00-03:00$/);
    expect((await body(await get("/schedules/preview?cron=*/15%20*%20*%20*%20*&timezone=UTC&count=2"))).next).toHaveLength(2);
    expect(await errorOf(await get("/schedules/preview?cron=0%203%20*%20*&timezone=UTC"))).toMatchObject({ status: 400, code: "VALIDATION_FAILED", details: { issues: [{ path: "cron" }] } });
    expect(await errorOf(await get("/schedules/preview?cron=0%203%20*%20*%20*&timezone=Nowhere/Land"))).toMatchObject({ status: 400, details: { issues: [{ path: "timezone" }] } });
    expect(await errorOf(await get("/schedules/preview?timezone=UTC"))).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
  });

  it("PATCH changes fields, refuses what create refuses, and never moves the datasource", async () => {
    const id = (await body(await post("/schedules", valid()))).id as string;
    const res = await patch(`/schedules/${id}`, { cron: "15 4 * * 1", timezone: "Europe/Berlin", name: "weekly", retry: { attempts: 0 } });
    expect(res.status).toBe(200);
    const changed = await body(res);
    expect(changed).toMatchObject({ cron: "15 4 * * 1", timezone: "Europe/Berlin", name: "weekly", retry: { attempts: 0, backoffMinutes: 5 } });
    expect(changed.nextFireAt).toMatch(/T04:15:00\+0[12]:00$/);
    expect(await errorOf(await patch(`/schedules/${id}`, { timezone: "Nowhere/Land" }))).toMatchObject({ status: 400, details: { issues: [{ path: "timezone" }] } });
    expect(await errorOf(await patch(`/schedules/${id}`, { cron: "* * *" }))).toMatchObject({ status: 400, details: { issues: [{ path: "cron" }] } });
    expect(await errorOf(await patch(`/schedules/${id}`, { datasourceId: dsId }))).toMatchObject({ status: 400, code: "VALIDATION_FAILED" });
    expect(await errorOf(await patch(`/schedules/${id}`, { destinationIds: ["dst_nope"] }))).toMatchObject({ status: 404, code: "DESTINATION_NOT_FOUND" });
    expect((await body(await get(`/schedules/${id}`))).cron).toBe("15 4 * * 1");
    expect(await errorOf(await patch("/schedules/sch_nope", { name: "x" }))).toMatchObject({ status: 404, code: "SCHEDULE_NOT_FOUND" });
  });

  it("pauses and resumes; a paused schedule has no next firing", async () => {
    const id = (await body(await post("/schedules", valid()))).id as string;
    const paused = await body(await post(`/schedules/${id}/pause`, undefined));
    expect(paused).toMatchObject({ paused: true, nextFireAt: null });
    expect((await body(await get(`/schedules/${id}/next`))).next).toEqual([]);
    expect(await errorOf(await post(`/schedules/${id}/pause`, undefined, viewer))).toMatchObject({ status: 403 });
    const resumed = await body(await post(`/schedules/${id}/resume`, undefined));
    expect(resumed.paused).toBe(false);
    expect(resumed.lastFiredAt).toBeNull();
    expect((await body(await get(`/schedules/${id}/next`))).next).toHaveLength(5);
  });

  it("deletes: gone from the API, 404 afterwards", async () => {
    const id = (await body(await post("/schedules", valid()))).id as string;
    expect((await srv.api(`/api/v1/schedules/${id}`, { method: "DELETE", token: operator })).status).toBe(204);
    expect(await errorOf(await get(`/schedules/${id}`))).toMatchObject({ status: 404, code: "SCHEDULE_NOT_FOUND" });
    expect(((await body(await get("/schedules"))).items as { id: string }[]).map((s) => s.id)).not.toContain(id);
    expect(await errorOf(await srv.api(`/api/v1/schedules/${id}`, { method: "DELETE", token: operator }))).toMatchObject({ status: 404 });
  });
});
