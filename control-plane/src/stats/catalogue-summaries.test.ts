import { eq, sql } from "drizzle-orm";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeLastGoodBackups, lastGoodBackups } from "../artifacts/good-backup.js";
import type { DbContext } from "../context.js";
import { artifactObjectName } from "../deliveries/object-name.js";
import { datasourceBackups, deliveredBackups } from "../retention/collect-backups.js";
import { createTestDatabase, DIALECTS, type TestDatabase } from "../testing/databases.js";
import { countGroups, dayStateGroups } from "./day-groups.js";

/**
 * The catalogue summaries (db/schema/sqlite/catalogue.ts, kept by the triggers of migration 0025)
 * against a recomputation, over random histories of the writes the control plane makes: runs
 * created, finishing, changing, held and pruned; copies delivered, failed, deleted by retention,
 * found damaged, recorded under another name; destinations retired and restored. After every write,
 * each answer built on a summary must equal the one computed from the rows: destination_usage
 * against the sum of live copies, and each memo (last good backup, the day groups of GET /stats,
 * the retention preview's backups) against the same function without it, while `now` moves on.
 */

const DAY = 86_400_000;
const START = Date.parse("2026-11-24T12:00:00Z");
const DATASOURCES = ["ds_0", "ds_1", "ds_2"];
const DESTINATIONS = ["dst_0", "dst_1", "dst_2"];
const RUN_STATES = ["queued", "running", "completed", "completed", "completed", "failed", "missed", "cancelled"];

type Op =
  | { op: "run"; ds: number; restore: boolean; state: string; ageMs: number; durationMs: number | null; size: number | null; named: boolean }
  | { op: "finish"; run: number; state: string; durationMs: number; size: number | null }
  | { op: "end"; run: number; state: string }
  | { op: "verify"; run: number; verified: boolean | null }
  | { op: "hold"; run: number; held: boolean }
  | { op: "deliver"; run: number; dst: number; state: string; bytes: number | null; rightName: boolean }
  | { op: "copy"; delivery: number; change: "complete" | "fail" | "delete" | "damage" | "bytes" | "rename"; bytes: number }
  | { op: "prune"; run: number }
  | { op: "retire"; dst: number }
  | { op: "tick"; minutes: number };

/**
 * How long ago a run was created: anywhere in 40 days; close to where now - 7 days and now - 30 days
 * cut a day, or in the day or two before (a day whose flags are the cut's neighbours'); or within a
 * few hours (many to a day).
 */
const ageMs = fc.oneof(
  fc.integer({ min: -DAY, max: 40 * DAY }),
  { weight: 2, arbitrary: fc.integer({ min: 7 * DAY - 5_400_000, max: 7 * DAY + 1_800_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 30 * DAY - 5_400_000, max: 30 * DAY + 1_800_000 }) },
  fc.integer({ min: 7 * DAY, max: 9 * DAY }),
  fc.integer({ min: 30 * DAY, max: 32 * DAY }),
  fc.integer({ min: 0, max: 5 * 3_600_000 }),
);

const ops: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant("run" as const), ds: fc.nat(2), restore: fc.nat(9).map((x) => x === 0), state: fc.constantFrom(...RUN_STATES), ageMs, durationMs: fc.option(fc.integer({ min: 0, max: 7_200_000 })), size: fc.option(fc.integer({ min: 0, max: 1e9 })), named: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("finish" as const), run: fc.nat(), state: fc.constantFrom("completed", "failed", "cancelled", "expired"), durationMs: fc.integer({ min: 0, max: 7_200_000 }), size: fc.option(fc.integer({ min: 0, max: 1e9 })) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("end" as const), run: fc.nat(), state: fc.constantFrom("completed", "failed", "expired", "cancelled") }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("verify" as const), run: fc.nat(), verified: fc.option(fc.boolean()) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("hold" as const), run: fc.nat(), held: fc.boolean() }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant("deliver" as const), run: fc.nat(), dst: fc.nat(2), state: fc.constantFrom("completed", "completed", "failed", "pending"), bytes: fc.option(fc.integer({ min: 0, max: 1e9 })), rightName: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("copy" as const), delivery: fc.nat(), change: fc.constantFrom("complete", "fail", "delete", "damage", "bytes", "rename"), bytes: fc.integer({ min: 0, max: 1e9 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("prune" as const), run: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("retire" as const), dst: fc.nat(2) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("tick" as const), minutes: fc.integer({ min: 1, max: 240 }) }) },
);

describe.each(DIALECTS)("catalogue summaries on %s", (dialect) => {
  let tdb: TestDatabase;
  let now = START;
  const ctx = (): DbContext => ({ database: tdb.database, clock: { now: () => new Date(now), setTimeout: () => () => {} } }) as DbContext;

  beforeAll(async () => {
    tdb = await createTestDatabase(dialect);
    const { db, t } = tdb.database;
    await db.insert(t.agents).values({ id: "agt_1", name: "a", hostname: "h", keyId: "k1", publicKeyJwk: "{}", status: "online", createdAt: 0 });
    await db.insert(t.datasources).values(DATASOURCES.map((id) => ({ id, agentId: "agt_1", name: id, engine: "postgres", connectionRedacted: "{}", createdAt: 0 })));
    await db.insert(t.destinations).values(DESTINATIONS.map((id) => ({ id, name: id, type: "local", config: "{}", createdAt: 0 })));
  });
  afterAll(async () => tdb?.cleanup());

  /** Every answer a summary serves, against the one computed from the rows. */
  async function expectSummariesHold(): Promise<void> {
    const { db, t } = tdb.database;
    const d = t.deliveries;
    const summed = await db
      .select({ destinationId: d.destinationId, bytes: sql<string | number | null>`sum(${d.bytes})`, backups: sql<string | number>`count(*)` })
      .from(d)
      .where(sql`${d.state} = 'completed' and ${d.deletedAt} is null`)
      .groupBy(d.destinationId);
    const usage = (await db.select().from(t.destinationUsage)).filter((u) => Number(u.backups) !== 0 || Number(u.bytes) !== 0);
    type Usage = { destinationId: string; bytes: string | number | null; backups: string | number };
    const byId = (rows: Usage[]) => rows.map((r) => ({ destinationId: r.destinationId, bytes: Number(r.bytes ?? 0), backups: Number(r.backups) })).sort((a, b) => a.destinationId.localeCompare(b.destinationId));
    expect(byId(usage)).toEqual(byId(summed));

    expect(await lastGoodBackups(ctx(), DATASOURCES)).toEqual(await computeLastGoodBackups(ctx(), DATASOURCES));

    const order = (gs: Awaited<ReturnType<typeof countGroups>>) => [...gs].sort((a, b) => a.day - b.day || a.state.localeCompare(b.state) || Number(a.in7) - Number(b.in7) || Number(a.in30) - Number(b.in30));
    for (const window of [30, 45]) {
      expect(order(await dayStateGroups(ctx(), now, window))).toEqual(order(await countGroups(ctx(), now, [[now - window * DAY, undefined]])));
    }

    for (const ds of DATASOURCES) {
      expect(await datasourceBackups(ctx(), ds)).toEqual(await deliveredBackups(ctx(), eq(t.runs.datasourceId, ds)));
    }
  }

  it("keeps every summary equal to a recomputation over random histories", async () => {
    const { db, t } = tdb.database;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(ops, { minLength: 10, maxLength: 50 }), async (history) => {
        // Each history starts from an empty catalogue, which the deletes reach through the triggers too.
        await db.delete(t.deliveries);
        await db.delete(t.runs);
        await db.update(t.destinations).set({ deletedAt: null });
        now = START;
        const runs: { id: string; datasourceId: string; createdAt: number; fileName: string | null }[] = [];
        const deliveries: { id: string; runId: string }[] = [];
        const pick = <T>(list: T[], i: number) => (list.length === 0 ? undefined : list[i % list.length]);
        for (const o of history) {
          if (o.op === "run") {
            const createdAt = now - o.ageMs;
            const run = { id: `run_${n++}`, datasourceId: DATASOURCES[o.ds]!, createdAt, fileName: o.named ? "dump.sql.gz" : null };
            const ended = !["queued", "running"].includes(o.state);
            await db.insert(t.runs).values({
              ...run, kind: o.restore ? "restore" : "backup", trigger: "manual", agentId: "agt_1", state: o.state, idempotencyKey: run.id,
              startedAt: o.state === "queued" ? null : createdAt + 1000, finishedAt: ended && o.durationMs !== null ? createdAt + 1000 + o.durationMs : null,
              sizeBytes: o.state === "completed" ? o.size : null,
            });
            runs.push(run);
          } else if (o.op === "finish") {
            const run = pick(runs, o.run);
            if (run) await db.update(t.runs).set({ state: o.state, finishedAt: run.createdAt + 1000 + o.durationMs, sizeBytes: o.size }).where(eq(t.runs.id, run.id));
          } else if (o.op === "end") {
            // The state alone, as the expiry of a queued run or a cancel writes it.
            const run = pick(runs, o.run);
            if (run) await db.update(t.runs).set({ state: o.state }).where(eq(t.runs.id, run.id));
          } else if (o.op === "verify") {
            const run = pick(runs, o.run);
            if (run) await db.update(t.runs).set({ verified: o.verified }).where(eq(t.runs.id, run.id));
          } else if (o.op === "hold") {
            const run = pick(runs, o.run);
            if (run) await db.update(t.runs).set({ heldAt: o.held ? now : null, holdReason: o.held ? "audit" : null }).where(eq(t.runs.id, run.id));
          } else if (o.op === "deliver") {
            const run = pick(runs, o.run);
            if (run) {
              const id = `dlv_${n++}`;
              await db.insert(t.deliveries).values({
                id, runId: run.id, destinationId: DESTINATIONS[o.dst]!, state: o.state, attempts: 1, bytes: o.bytes, updatedAt: now,
                path: o.rightName ? `/var/backups/${artifactObjectName(run)}` : `elsewhere/${run.id}.bin`,
              });
              deliveries.push({ id, runId: run.id });
            }
          } else if (o.op === "copy") {
            const dl = pick(deliveries, o.delivery);
            if (dl) {
              const where = eq(t.deliveries.id, dl.id);
              if (o.change === "complete") await db.update(t.deliveries).set({ state: "completed", bytes: o.bytes }).where(where);
              if (o.change === "fail") await db.update(t.deliveries).set({ state: "failed" }).where(where);
              if (o.change === "delete") await db.update(t.deliveries).set({ deletedAt: now, deletionReason: "retention" }).where(where);
              if (o.change === "damage") await db.update(t.deliveries).set({ damagedAt: now, damage: "missing" }).where(where);
              if (o.change === "bytes") await db.update(t.deliveries).set({ bytes: o.bytes }).where(where);
              if (o.change === "rename") await db.update(t.deliveries).set({ path: `moved/${dl.runId}.bin` }).where(where);
            }
          } else if (o.op === "prune") {
            const run = pick(runs, o.run);
            if (run) {
              await db.delete(t.deliveries).where(eq(t.deliveries.runId, run.id));
              await db.delete(t.runs).where(eq(t.runs.id, run.id));
              runs.splice(runs.indexOf(run), 1);
              for (let i = deliveries.length - 1; i >= 0; i--) if (deliveries[i]!.runId === run.id) deliveries.splice(i, 1);
            }
          } else if (o.op === "retire") {
            const [dst] = await db.select().from(t.destinations).where(eq(t.destinations.id, DESTINATIONS[o.dst]!));
            await db.update(t.destinations).set({ deletedAt: dst!.deletedAt === null ? now : null }).where(eq(t.destinations.id, dst!.id));
          } else {
            // Minutes, so that now - 7 days and now - 30 days cut through an hour.
            now += o.minutes * 60_000;
          }
          await expectSummariesHold();
        }
      }),
      { numRuns: dialect === "sqlite" ? 25 : 10 },
    );
  }, 240_000);
});
