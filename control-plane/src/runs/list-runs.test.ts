import { newId } from "@holdfast/shared";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { seedDatasource } from "../testing/seed-backup.js";
import type { RunView } from "./get-run.js";

const T0 = Date.parse("2026-11-01T00:00:00Z");
const MIN = 60_000;

describe.each(DIALECTS)("GET /runs on %s", (dialect) => {
  let srv: TestServer;
  let viewer: string;
  let agentA: string;
  let agentB: string;
  let dsA: string;
  let dsB: string;
  let destId: string;
  /** Every seeded run, newest first by (createdAt, id): the order pages must follow. */
  let all: { id: string; createdAt: number; datasourceId: string; agentId: string; scheduleId: string | null; state: string; kind: string }[] = [];

  beforeAll(async () => {
    srv = await startTestServer(dialect);
    viewer = await srv.token("viewer");
    const admin = await srv.token("admin");
    [agentA, agentB] = [(await srv.enroll()).agentId, (await srv.enroll()).agentId];
    [dsA, dsB] = [await seedDatasource(srv.ctx, agentA, "a"), await seedDatasource(srv.ctx, agentB, "b")];
    const dst = await srv.api("/api/v1/destinations", { method: "POST", token: admin, json: { name: "disk", type: "local", config: { path: `${srv.dir}/backups` } } });
    destId = ((await dst.json()) as { id: string }).id;
    const states = ["completed", "failed", "completed", "missed", "cancelled"];
    const { db, t } = srv.ctx.database;
    for (let i = 0; i < 61; i++) {
      const onA = i % 3 !== 0;
      // Every fourth run shares its creation time with the previous one: the cursor must break ties by id.
      const createdAt = T0 + (i - (i % 4 === 3 ? 1 : 0)) * MIN;
      const row = {
        id: newId("run"),
        createdAt,
        datasourceId: onA ? dsA : dsB,
        agentId: onA ? agentA : agentB,
        scheduleId: i % 2 === 0 ? "sch_nightly" : null,
        state: states[i % states.length]!,
        kind: i % 10 === 9 ? "restore" : "backup",
      };
      all.push(row);
      await db.insert(t.runs).values({ ...row, trigger: row.scheduleId ? "schedule" : "manual", idempotencyKey: newId("idem") });
      if (i === 60) await db.insert(t.deliveries).values({ id: newId("dlv"), runId: row.id, destinationId: destId, state: "completed", path: "/x", attempts: 1, updatedAt: createdAt });
    }
    all = all.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  });
  afterAll(async () => srv?.stop());

  async function page(query: string) {
    const res = await srv.api(`/api/v1/runs${query}`, { token: viewer });
    return { status: res.status, body: (await res.json()) as { items: RunView[]; nextCursor: string | null; error?: { code: string; details: unknown } } };
  }
  async function walk(query: string, limit: number) {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const sep = query ? "&" : "?";
      const { status, body } = await page(`${query}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(status).toBe(200);
      expect(body.items.length).toBeLessThanOrEqual(limit);
      seen.push(...body.items.map((r) => r.runId));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor && pages < 100);
    return { seen, pages };
  }

  it("pages through every run newest first, with no duplicate and no skip across pages", async () => {
    const { seen, pages } = await walk("", 7);
    expect(seen).toEqual(all.map((r) => r.id));
    expect(pages).toBe(Math.ceil(61 / 7));
    const first = await page("");
    expect(first.body.items).toHaveLength(50);
    expect(first.body.nextCursor).toEqual(expect.any(String));
  });

  it("a run created while paging does not shift the pages after the cursor", async () => {
    const first = await page("?limit=10");
    const { db, t } = srv.ctx.database;
    const late = newId("run");
    await db.insert(t.runs).values({ id: late, kind: "backup", trigger: "manual", agentId: agentA, datasourceId: dsA, state: "queued", idempotencyKey: newId("idem"), createdAt: T0 + 1000 * MIN });
    const second = await page(`?limit=10&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((r) => r.runId)).toEqual(all.slice(10, 20).map((r) => r.id));
    await db.delete(t.runs).where(eq(t.runs.id, late));
  });

  it.each([
    ["datasourceId", () => `datasourceId=${dsB}`, (r: (typeof all)[number]) => r.datasourceId === dsB],
    ["agentId", () => `agentId=${agentA}`, (r: (typeof all)[number]) => r.agentId === agentA],
    ["scheduleId", () => "scheduleId=sch_nightly", (r: (typeof all)[number]) => r.scheduleId === "sch_nightly"],
    ["state", () => "state=missed", (r: (typeof all)[number]) => r.state === "missed"],
    ["kind", () => "kind=restore", (r: (typeof all)[number]) => r.kind === "restore"],
    ["trigger", () => "trigger=manual", (r: (typeof all)[number]) => r.scheduleId === null],
    ["from/to", () => `from=${new Date(T0 + 10 * MIN).toISOString()}&to=${new Date(T0 + 20 * MIN).toISOString()}`, (r: (typeof all)[number]) => r.createdAt >= T0 + 10 * MIN && r.createdAt < T0 + 20 * MIN],
    ["combined", () => `datasourceId=${dsA}&state=completed&kind=backup`, (r: (typeof all)[number]) => r.datasourceId === dsA && r.state === "completed" && r.kind === "backup"],
  ])("filters by %s, across pages", async (_name, query, keep) => {
    const expected = all.filter(keep).map((r) => r.id);
    expect(expected.length).toBeGreaterThan(0);
    expect((await walk(`?${query()}`, 4)).seen).toEqual(expected);
  });

  it("shows each run as GET /runs/:id does, deliveries included", async () => {
    const newest = (await page("?limit=1")).body.items[0]!;
    const one = (await (await srv.api(`/api/v1/runs/${newest.runId}`, { token: viewer })).json()) as RunView;
    expect(newest).toEqual(one);
    expect(newest.deliveries).toEqual([{ destinationId: destId, state: "completed", path: "/x" }]);
  });

  it("serves /stats beside the runs, with its own query checks", async () => {
    const res = await srv.api("/api/v1/stats?days=7", { token: viewer });
    expect(res.status).toBe(200);
    const stats = (await res.json()) as { series: unknown[]; storage: { destinationId: string; bytes: number }[] };
    expect(stats.series).toHaveLength(7);
    expect(stats.storage).toEqual([expect.objectContaining({ destinationId: destId, bytes: 0 })]);
    expect((await srv.api("/api/v1/stats?days=many", { token: viewer })).status).toBe(400);
  });

  it.each([
    ["limit=0"],
    ["limit=201"],
    ["limit=ten"],
    ["state=sleeping"],
    ["kind=snapshot"],
    ["trigger=cron"],
    ["from=yesterday"],
    [`from=${new Date(T0 + MIN).toISOString()}&to=${new Date(T0).toISOString()}`],
    ["cursor=bm90LWEtY3Vyc29y"],
    ["color=blue"],
  ])("answers 400 VALIDATION_FAILED to %s", async (query) => {
    const { status, body } = await page(`?${query}`);
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: "VALIDATION_FAILED" });
  });
});
