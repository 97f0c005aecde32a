import { and, inArray, isNotNull, lt, notInArray, sql, type SQL } from "drizzle-orm";
import type { AppContext } from "../context.js";
import type { Tables } from "../db/index.js";
import { pruneRateLimits } from "../rate-limits/index.js";

export type HousekeepingContext = Pick<AppContext, "database" | "clock" | "env" | "log">;

/** Rows removed per statement: a pass never holds a long lock or a large transaction. */
export const PRUNE_BATCH = 500;
/** Batches per table per pass; what is left waits for the next pass. */
export const MAX_BATCHES = 200;

export interface PruneOptions {
  batchSize?: number;
  maxBatches?: number;
}

export interface PruneReport {
  runs: number;
  events: number;
  notificationSends: number;
  audit: number;
  healthChecks: number;
  rateLimits: number;
}

const DAY_MS = 86_400_000;
const ENDED_RUN_STATES = ["completed", "failed", "cancelled", "expired", "missed"];
const ENDED_SEND_STATES = ["sent", "failed"];

/**
 * A run whose records stay whatever their age: one not ended yet; one with a delivery that is not
 * failed or deleted (a live copy, or one still being written; a superset of `isLiveCopy`, as SQL
 * cannot check the object's name); one with an event not applied yet (waiting behind a gap in the
 * agent's sequence); a held one (a legal hold keeps its record too); and the newest completed
 * backup of each datasource. Written against the unaliased `runs` table, so it serves both the run
 * pruning and the event pruning.
 */
function keptRun(t: Tables): SQL {
  const r = t.runs;
  return sql`(${notInArray(r.state, ENDED_RUN_STATES)}
    or ${r.heldAt} is not null
    or exists (select 1 from ${t.deliveries} where ${t.deliveries.runId} = ${r.id} and ${t.deliveries.deletedAt} is null and ${t.deliveries.state} <> 'failed')
    or exists (select 1 from agent_events pending join agents a on a.id = pending.agent_id where pending.run_id = ${r.id} and pending.sequence > a.last_acked_sequence)
    or (${r.kind} = 'backup' and ${r.state} = 'completed' and not exists (
      select 1 from runs newer where newer.datasource_id = ${r.datasourceId} and newer.kind = 'backup' and newer.state = 'completed'
        and (newer.created_at > ${r.createdAt} or (newer.created_at = ${r.createdAt} and newer.id > ${r.id})))))`;
}

/** Deletes what `select` picks, a batch at a time, until a short batch or `maxBatches`. */
async function inBatches(select: (limit: number) => Promise<string[]>, remove: (ids: string[]) => Promise<void>, opts: PruneOptions): Promise<number> {
  const size = opts.batchSize ?? PRUNE_BATCH;
  let total = 0;
  for (let batch = 0; batch < (opts.maxBatches ?? MAX_BATCHES); batch++) {
    const ids = await select(size);
    if (ids.length > 0) await remove(ids);
    total += ids.length;
    if (ids.length < size) break;
  }
  return total;
}

/**
 * History housekeeping: removes runs (with their deliveries and events), agent events (run events and
 * logs), finished notification sends and audit records older than their `HOLDFAST_KEEP_*_DAYS`, and
 * full rate-limit buckets. Never a kept run (`keptRun`) nor its events, nor an event the agent's
 * acknowledged sequence has not passed yet. 0 days keeps that history for ever.
 */
export async function pruneHistory(ctx: HousekeepingContext, opts: PruneOptions = {}): Promise<PruneReport> {
  const { db, t } = ctx.database;
  const now = ctx.clock.now().getTime();
  const keep = ctx.env.keepHistory;
  const cutoff = (days: number) => now - days * DAY_MS;
  const report: PruneReport = { runs: 0, events: 0, notificationSends: 0, audit: 0, healthChecks: 0, rateLimits: 0 };

  if (keep.runsDays > 0) {
    report.runs = await inBatches(
      async (limit) =>
        (await db.select({ id: t.runs.id }).from(t.runs).where(and(lt(t.runs.createdAt, cutoff(keep.runsDays)), sql`not ${keptRun(t)}`)).limit(limit)).map((r) => r.id),
      async (ids) => {
        // Children first: deliveries reference their run.
        await db.delete(t.agentEvents).where(inArray(t.agentEvents.runId, ids));
        await db.delete(t.deliveries).where(inArray(t.deliveries.runId, ids));
        await db.delete(t.runs).where(inArray(t.runs.id, ids));
      },
      opts,
    );
  }

  if (keep.eventsDays > 0) {
    const e = t.agentEvents;
    report.events = await inBatches(
      async (limit) =>
        (
          await db
            .select({ id: e.eventId })
            .from(e)
            .where(
              and(
                lt(e.receivedAt, cutoff(keep.eventsDays)),
                sql`${e.sequence} <= (select ${t.agents.lastAckedSequence} from ${t.agents} where ${t.agents.id} = ${e.agentId})`,
                sql`(${e.runId} is null or not exists (select 1 from ${t.runs} where ${t.runs.id} = ${e.runId} and ${keptRun(t)}))`,
              ),
            )
            .limit(limit)
        ).map((r) => r.id),
      async (ids) => void (await db.delete(e).where(inArray(e.eventId, ids))),
      opts,
    );
  }

  if (keep.notificationSendsDays > 0) {
    const s = t.notificationSends;
    report.notificationSends = await inBatches(
      async (limit) =>
        (await db.select({ id: s.id }).from(s).where(and(lt(s.createdAt, cutoff(keep.notificationSendsDays)), inArray(s.state, ENDED_SEND_STATES))).limit(limit)).map((r) => r.id),
      async (ids) => void (await db.delete(s).where(inArray(s.id, ids))),
      opts,
    );
    // Closed alerts go with their sends (a few rows per problem, never an open one).
    const c = t.notificationConditions;
    await db.delete(c).where(and(isNotNull(c.closedAt), lt(c.closedAt, cutoff(keep.notificationSendsDays))));
  }

  if (keep.auditDays > 0) {
    const a = t.auditLog;
    report.audit = await inBatches(
      async (limit) => (await db.select({ id: a.id }).from(a).where(lt(a.at, cutoff(keep.auditDays))).limit(limit)).map((r) => r.id),
      async (ids) => void (await db.delete(a).where(inArray(a.id, ids))),
      opts,
    );
  }

  // Health results: HOLDFAST_HEALTH_KEEP_MS (30 days by default), the status needs only the last few.
  const h = t.healthChecks;
  const healthCutoff = ctx.clock.now().getTime() - ctx.env.healthKeepMs;
  report.healthChecks = await inBatches(
    async (limit) => (await db.select({ id: h.id }).from(h).where(lt(h.checkedAt, healthCutoff)).limit(limit)).map((r) => r.id),
    async (ids) => void (await db.delete(h).where(inArray(h.id, ids))),
    opts,
  );

  report.rateLimits = await pruneRateLimits(ctx);
  return report;
}
