import { and, desc, eq, exists, inArray, isNotNull, isNull, type SQL, sql } from "drizzle-orm";
import type { DbContext } from "../context.js";
import type { Database } from "../db/index.js";
import { datasourceVersions } from "./datasource-versions.js";
import { artifactObjectName } from "../deliveries/object-name.js";
import { newestFirst, type RetentionBackup } from "../retention/types.js";
import { type BackupCopy, isLiveCopy } from "./backup-copies.js";

/**
 * The one definition of a good backup, read by stats and the dashboard (last good backup, overdue),
 * retention's and manual deletion's "newest good" protection, and the RPO watch: a completed backup
 * with at least one copy that makes it good.
 */

type CopyFacts = Pick<BackupCopy, "state" | "deletedAt" | "destinationRetired" | "path" | "damagedAt">;

/**
 * Delivered whole, not deleted, on a destination Holdfast still holds, and not found missing or
 * altered by a scrub since. Retention plans over these: whether the recorded name is the one it
 * would delete is its executor's question, which skips and reports a copy under another name.
 */
export function isUndamagedCopy(c: Omit<CopyFacts, "path">): boolean {
  return c.state === "completed" && c.deletedAt === null && !c.destinationRetired && c.damagedAt === null;
}

/** A copy that makes its completed backup good: undamaged and live (isLiveCopy: under the run's name, so it can be read). */
export function isGoodCopy(c: CopyFacts, objectName: string): boolean {
  return isUndamagedCopy(c) && isLiveCopy(c, objectName);
}

/** A good backup of a datasource. `finishedAt` as retention orders backups; `askedAt`, its firing (or creation) as freshness reads it. */
export interface GoodBackup extends RetentionBackup {
  datasourceId: string;
  askedAt: number;
  ok: true;
}

/**
 * The good backups among the backup runs matching `where` (all when omitted), newest first. The
 * query only narrows; isGoodCopy decides.
 */
export async function goodBackups(ctx: DbContext, where?: SQL): Promise<GoodBackup[]> {
  const { db, t } = ctx.database;
  const rows = await db
    .select({
      run: { id: t.runs.id, datasourceId: t.runs.datasourceId, createdAt: t.runs.createdAt, fileName: t.runs.fileName, finishedAt: t.runs.finishedAt, fireTime: t.runs.fireTime, verified: t.runs.verified },
      d: { state: t.deliveries.state, path: t.deliveries.path, deletedAt: t.deliveries.deletedAt, damagedAt: t.deliveries.damagedAt },
      retiredAt: t.destinations.deletedAt,
    })
    .from(t.runs)
    .innerJoin(t.deliveries, eq(t.deliveries.runId, t.runs.id))
    .innerJoin(t.destinations, eq(t.destinations.id, t.deliveries.destinationId))
    .where(and(eq(t.runs.kind, "backup"), eq(t.runs.state, "completed"), eq(t.deliveries.state, "completed"), isNull(t.deliveries.deletedAt), isNull(t.deliveries.damagedAt), where));
  const good = new Map<string, GoodBackup>();
  for (const { run, d, retiredAt } of rows) {
    if (good.has(run.id) || !isGoodCopy({ ...d, destinationRetired: retiredAt !== null }, artifactObjectName(run))) continue;
    good.set(run.id, {
      id: run.id,
      datasourceId: run.datasourceId,
      finishedAt: new Date(run.finishedAt ?? run.createdAt),
      askedAt: run.fireTime ?? run.createdAt,
      ok: true,
      verified: run.verified,
    });
  }
  return newestFirst([...good.values()]);
}

/**
 * Each datasource's newest good backup; a datasource without one is absent. At 2,000 datasources
 * and a million runs, reading every good backup to keep the first of each is seconds: the database
 * instead names one candidate per datasource (its newest completed backup with an undamaged,
 * undeleted copy on a live destination: one seek of runs_datasource_id_kind_state_finished_at_idx
 * per datasource), and goodBackups judges the candidates. Where the candidate's copies turn out not
 * to be good (a copy recorded under another name), that datasource is read whole, as before.
 * lastGoodBackups answers from what this found before where it can.
 */
export async function computeLastGoodBackups(ctx: DbContext, datasourceIds: readonly string[]): Promise<Map<string, GoodBackup>> {
  const last = new Map<string, GoodBackup>();
  if (datasourceIds.length === 0) return last;
  const { db, t } = ctx.database;
  const r = t.runs;
  const d = t.deliveries;
  const undamagedCopy = db
    .select({ one: sql`1` })
    .from(d)
    .innerJoin(t.destinations, eq(t.destinations.id, d.destinationId))
    .where(and(eq(d.runId, r.id), eq(d.state, "completed"), isNull(d.deletedAt), isNull(d.damagedAt), isNull(t.destinations.deletedAt)));
  const newest = db
    .select({ id: r.id })
    .from(r)
    .where(and(eq(r.datasourceId, t.datasources.id), eq(r.kind, "backup"), eq(r.state, "completed"), isNotNull(r.finishedAt), exists(undamagedCopy)))
    .orderBy(desc(r.finishedAt))
    .limit(1);
  const candidates = await db
    .select({ datasourceId: t.datasources.id, runId: sql<string | null>`(${newest})` })
    .from(t.datasources)
    .where(inArray(t.datasources.id, [...datasourceIds]));
  const ids = candidates.flatMap((c) => (c.runId === null ? [] : [c.runId]));
  for (const b of ids.length === 0 ? [] : await goodBackups(ctx, inArray(r.id, ids))) last.set(b.datasourceId, b);
  const unsure = candidates.filter((c) => c.runId !== null && !last.has(c.datasourceId)).map((c) => c.datasourceId);
  for (const b of unsure.length === 0 ? [] : await goodBackups(ctx, inArray(r.datasourceId, unsure))) {
    if (!last.has(b.datasourceId)) last.set(b.datasourceId, b);
  }
  return last;
}

/**
 * Per database, each datasource's newest good backup (or none) as computeLastGoodBackups found it,
 * with the datasource version it was found at (datasource-versions.ts): an answer stays right while
 * its version does.
 */
const lastGoodMemo = new WeakMap<Database, Map<string, { version: number; good: GoodBackup | undefined }>>();

/**
 * Each datasource's newest good backup; a datasource without one is absent. Judging 2,000
 * datasources' candidates is ~100 ms at a million runs, and between two dashboard refreshes only the
 * datasources that were written to change: those are judged again, the others answered from the memo.
 */
export async function lastGoodBackups(ctx: DbContext, datasourceIds: readonly string[]): Promise<Map<string, GoodBackup>> {
  const last = new Map<string, GoodBackup>();
  if (datasourceIds.length === 0) return last;
  let memo = lastGoodMemo.get(ctx.database);
  if (!memo) lastGoodMemo.set(ctx.database, (memo = new Map()));
  const versionOf = await datasourceVersions(ctx, datasourceIds);
  const stale = datasourceIds.filter((id) => memo.get(id)?.version !== versionOf(id));
  const found = await computeLastGoodBackups(ctx, stale);
  for (const id of stale) memo.set(id, { version: versionOf(id), good: found.get(id) });
  for (const id of datasourceIds) {
    const good = memo.get(id)!.good;
    if (good) last.set(id, good);
  }
  return last;
}
