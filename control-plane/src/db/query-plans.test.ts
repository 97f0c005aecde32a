import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import postgres from "postgres";
import type { Clock } from "@holdfast/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppContext } from "../context.js";
import { artifactObjectName } from "../deliveries/object-name.js";
import { listAgents } from "../agents/list-agents.js";
import { listAlerts } from "../notifications/list-alerts.js";
import { previewRetention } from "../retention/preview-retention.js";
import { getRun } from "../runs/get-run.js";
import { listRuns } from "../runs/list-runs.js";
import { encodeRunCursor } from "../runs/run-cursor.js";
import { getStats } from "../stats/get-stats.js";
import { recordDueRetries } from "../firing/retries.js";
import { DIALECTS } from "../testing/databases.js";
import { type Database, openDatabase } from "./index.js";

/**
 * The catalogue's queries at scale (docs/decisions.md, "Catalogue at scale"): every statement that
 * `GET /runs` (each filter, first and deep page), `GET /runs/:id`, `GET /stats`, the dashboard and
 * the retention preview send is captured from the query builder's logger, as the domain code
 * builds it, and explained; none may read runs or deliveries whole. A changed query or a dropped
 * index fails here; how fast the answers are is `npm run bench -- catalogue`.
 *
 * PostgreSQL explains with `enable_seqscan = off`: on a tiny table it rightly prefers a sequential
 * scan, so a plan over a few rows says nothing about a million; with sequential scans priced out,
 * a Seq Scan left in the plan means no index can serve the query at all, whatever the size. SQLite
 * has no statistics here (no ANALYZE) and plans by the indexes alone, so its plan is the one a
 * large catalogue gets: `SCAN runs` without an index is the full scan.
 */

const NOW = Date.parse("2026-11-24T12:00:00Z");
const DAY = 86_400_000;
const clock: Clock = { now: () => new Date(NOW), setTimeout: () => () => {} };
const WATCHED = ["runs", "deliveries"];

interface Captured {
  query: string;
  params: unknown[];
}

async function seed({ db, t }: Database): Promise<void> {
  await db.insert(t.agents).values({ id: "agt_1", name: "a", hostname: "h", keyId: "k1", publicKeyJwk: "{}", status: "online", createdAt: 0 });
  await db.insert(t.destinations).values([
    { id: "dst_1", name: "disk", type: "local", config: "{}", createdAt: 0 },
    { id: "dst_2", name: "bucket", type: "local", config: "{}", createdAt: 0 },
  ]);
  await db.insert(t.datasources).values(["ds_a", "ds_b"].map((id) => ({ id, agentId: "agt_1", name: id, engine: "postgres", connectionRedacted: "{}", createdAt: 0 })));
  await db.insert(t.schedules).values({
    id: "sch_a", datasourceId: "ds_a", name: "daily", cron: "0 3 * * *", timezone: "UTC", destinationIds: '["dst_1"]',
    retention: JSON.stringify({ keepDaily: 7, keepMonthly: 12 }), fireCursor: NOW, createdAt: 0, updatedAt: 0,
  });
  const states = ["completed", "completed", "completed", "failed", "missed", "cancelled", "running"];
  const runs = Array.from({ length: 120 }, (_, i) => {
    const createdAt = NOW - i * (DAY / 2);
    const scheduled = i % 4 !== 0;
    return {
      id: `run_${String(i).padStart(4, "0")}`, kind: i % 11 === 0 ? "restore" : "backup", trigger: scheduled ? "schedule" : "manual", agentId: "agt_1",
      datasourceId: i % 3 === 0 ? "ds_b" : "ds_a", state: states[i % states.length]!, idempotencyKey: `idem_${i}`, scheduleId: scheduled ? "sch_a" : null,
      fireTime: scheduled ? createdAt : null, sizeBytes: 100, startedAt: createdAt, finishedAt: createdAt + 60_000, createdAt,
    };
  });
  await db.insert(t.runs).values(runs);
  await db.insert(t.deliveries).values(
    runs
      .filter((r) => r.kind === "backup")
      .flatMap((r) => ["dst_1", "dst_2"].map((dst) => ({
        id: `dlv_${r.id}_${dst}`, runId: r.id, destinationId: dst, state: r.state === "completed" ? "completed" : "failed",
        path: artifactObjectName({ ...r, fileName: null }), attempts: 1, bytes: 100, updatedAt: r.createdAt, deletedAt: r.createdAt < NOW - 30 * DAY ? NOW : null,
      }))),
  );
}

/** The catalogue's requests, as the routes call the domain. */
async function catalogueRequests(ctx: AppContext): Promise<void> {
  const cursor = encodeRunCursor({ createdAt: NOW - 30 * DAY, id: "run_0060" });
  const filters = [{}, { datasourceId: "ds_a" }, { agentId: "agt_1" }, { scheduleId: "sch_a" }, { state: "failed" as const }, { kind: "restore" as const }, { trigger: "manual" as const }, { from: new Date(NOW - 10 * DAY).toISOString(), to: new Date(NOW - 5 * DAY).toISOString() }];
  for (const f of filters) {
    await listRuns(ctx, { limit: 50, ...f });
    await listRuns(ctx, { limit: 50, ...f, cursor });
  }
  await getRun(ctx, "run_0001");
  await getStats(ctx, { days: 30 });
  await listAgents(ctx);
  await listAlerts(ctx);
  await previewRetention(ctx, "sch_a");
  // Not a request, but the firing loop sends it every tick, between the requests.
  await recordDueRetries(ctx, new Date(NOW), new Map(), 60_000);
}

/** The statements that read runs or deliveries. */
const watched = (all: Captured[]) => all.filter((c) => WATCHED.some((table) => new RegExp(`(from|join)\\s+["\`]${table}["\`]`, "i").test(c.query)));

describe.each(DIALECTS)("catalogue query plans on %s", (dialect) => {
  let dir: string;
  let database: Database;
  let captured: Captured[] = [];
  let explain: (c: Captured) => Promise<string[]>;
  let sqlitePlan: (c: Captured) => string[] = () => [];
  let cleanup = async () => {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "holdfast-plans-"));
    const logger = { logQuery: (query: string, params: unknown[]) => captured.push({ query, params }) };
    if (dialect === "postgres") {
      const admin = postgres(process.env.HOLDFAST_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres", { max: 1, onnotice: () => {} });
      const name = `holdfast_plans_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
      await admin.unsafe(`create database "${name}"`);
      const url = (process.env.HOLDFAST_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres").replace(/\/[^/]*$/, `/${name}`);
      database = await openDatabase({ databaseUrl: url, sqlitePath: join(dir, "unused.db"), logger });
      const pg = postgres(url, { max: 1, onnotice: () => {} });
      await pg.unsafe("set enable_seqscan = off");
      explain = async (c) => {
        const [row] = await pg.unsafe(`explain (format json) ${c.query}`, c.params as never[]);
        const scans: string[] = [];
        const walk = (node: Record<string, unknown>) => {
          if (node["Node Type"] === "Seq Scan") scans.push(`Seq Scan on ${String(node["Relation Name"])}`);
          for (const child of (node.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
        };
        walk(((row as Record<string, unknown>)["QUERY PLAN"] as { Plan: Record<string, unknown> }[])[0]!.Plan);
        return scans;
      };
      cleanup = async () => {
        await pg.end();
        await database.close();
        await admin.unsafe(`drop database if exists "${name}" with (force)`);
        await admin.end();
      };
    } else {
      const path = join(dir, "holdfast.db");
      database = await openDatabase({ databaseUrl: undefined, sqlitePath: path, logger });
      const client = new BetterSqlite3(path, { readonly: true });
      explain = async (c) => {
        const rows = client.prepare(`explain query plan ${c.query}`).all(...(c.params as never[])) as { detail: string }[];
        return rows.map((r) => r.detail).filter((d) => /^SCAN \w+/.test(d) && !/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/.test(d)).map((d) => d);
      };
      sqlitePlan = (c) => (client.prepare(`explain query plan ${c.query}`).all(...(c.params as never[])) as { detail: string }[]).map((r) => r.detail);
      cleanup = async () => {
        client.close();
        await database.close();
      };
    }
    await seed(database);
    captured = [];
    await catalogueRequests({ database, clock, env: { manualRetentionDays: 0 } } as unknown as AppContext);
  }, 60_000);
  afterAll(async () => {
    await cleanup();
    await rm(dir, { recursive: true, force: true });
  });

  it("captures every catalogue request's reads of runs and deliveries", () => {
    // Each runs page (two per filter), the run, stats, the preview: a request that stopped reading them would leave a gap here.
    expect(watched(captured).length).toBeGreaterThanOrEqual(20);
  });

  it("sees a full scan where there is one", async () => {
    expect(await explain({ query: `select id from runs where request_hash = ${dialect === "postgres" ? "$1" : "?"}`, params: ["x"] })).toEqual([dialect === "postgres" ? "Seq Scan on runs" : "SCAN runs"]);
  });

  it("reads runs and deliveries through an index, never whole", async () => {
    const fullScans: string[] = [];
    for (const c of watched(captured)) {
      const scans = (await explain(c)).filter((s) => WATCHED.some((table) => s.includes(` ${table}`) || s.endsWith(` ${table}`) || s === `SCAN ${table}`));
      if (scans.length > 0) fullScans.push(`${scans.join(", ")}:\n  ${c.query}`);
    }
    expect(fullScans).toEqual([]);
  });

  // An index on state alone walks every failed run the catalogue holds (70,000 at a million runs), on every tick.
  it.runIf(dialect === "sqlite")("finds the failures that may owe a retry by the time they finished", () => {
    const retries = captured.find((c) => /"finished_at" >= \?/.test(c.query) && /"trigger" = \?/.test(c.query));
    expect(retries).toBeDefined();
    expect(sqlitePlan(retries!).join("\n")).toMatch(/USING INDEX runs_state_finished_at_idx \(state=\? AND finished_at>\?\)/);
  });
});
