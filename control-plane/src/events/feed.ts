import { type RecordedLiveEvent, RecordedLiveEvent as RecordedLiveEventSchema } from "@holdfast/shared";
import { and, asc, desc, eq, gt, lt, lte, or } from "drizzle-orm";
import type { DbContext } from "../context.js";
import type { Tables } from "../db/index.js";

type Row = Tables["liveEvents"]["$inferSelect"];

/** How much of the feed is kept: the newest `count` events, none older than `maxAgeMs`. */
export interface FeedWindow {
  count: number;
  maxAgeMs: number;
}

/** What an event is before it has an id and a time: what is stored as `data`, with its type. */
export type NewLiveEvent = RecordedLiveEvent extends infer E ? (E extends RecordedLiveEvent ? Omit<E, "id" | "at"> : never) : never;

/**
 * A stored row as the event a client receives. Undefined for a row that does not parse: written by a
 * newer version, or by hand. The triggers store times as epoch milliseconds; the wire has ISO 8601.
 */
export function toLiveEvent(row: Row): RecordedLiveEvent | undefined {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(row.data) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof data.nextAttemptAt === "number") data.nextAttemptAt = new Date(data.nextAttemptAt).toISOString();
  const parsed = RecordedLiveEventSchema.safeParse({ ...data, id: row.id, type: row.type, at: new Date(row.occurredAt).toISOString() });
  return parsed.success ? parsed.data : undefined;
}

/** The stored events after `afterId`, oldest first, at most `limit`. */
export async function readEventsAfter(ctx: Pick<DbContext, "database">, afterId: number, limit: number): Promise<Row[]> {
  const { db, t } = ctx.database;
  return db.select().from(t.liveEvents).where(gt(t.liveEvents.id, afterId)).orderBy(asc(t.liveEvents.id)).limit(limit);
}

/** The newest and oldest ids kept; 0 for both while the feed is empty. */
export async function feedBounds(ctx: Pick<DbContext, "database">): Promise<{ oldest: number; newest: number }> {
  const { db, t } = ctx.database;
  const [first] = await db.select({ id: t.liveEvents.id }).from(t.liveEvents).orderBy(asc(t.liveEvents.id)).limit(1);
  const [last] = await db.select({ id: t.liveEvents.id }).from(t.liveEvents).orderBy(desc(t.liveEvents.id)).limit(1);
  return { oldest: first?.id ?? 0, newest: last?.id ?? 0 };
}

/**
 * Records an event the database does not write by itself (run progress); the triggers write the
 * others. Returns its id.
 */
export async function appendLiveEvent(ctx: DbContext, event: NewLiveEvent): Promise<number> {
  const { type, ...data } = event;
  const { db, t } = ctx.database;
  const [row] = await db
    .insert(t.liveEvents)
    .values({ type, occurredAt: ctx.clock.now().getTime(), data: JSON.stringify(data) })
    .returning({ id: t.liveEvents.id });
  return row!.id;
}

/**
 * Deletes what falls outside the window. The newest event always stays, so the newest id handed out
 * is known after a restart even when nothing happened for longer than the window (an id a client
 * sends back is then either known or too old, never mistaken for one from the future).
 */
export async function pruneFeed(ctx: DbContext, window: FeedWindow): Promise<void> {
  const { newest } = await feedBounds(ctx);
  if (newest === 0) return;
  const { db, t } = ctx.database;
  const tooOld = ctx.clock.now().getTime() - window.maxAgeMs;
  await db
    .delete(t.liveEvents)
    .where(and(lt(t.liveEvents.id, newest), or(lte(t.liveEvents.id, newest - window.count), lt(t.liveEvents.occurredAt, tooOld))));
}

/** Whether a run still runs: progress of a run that ended is not recorded. */
export async function isRunning(ctx: Pick<DbContext, "database">, runId: string): Promise<boolean> {
  const { db, t } = ctx.database;
  const [run] = await db.select({ state: t.runs.state }).from(t.runs).where(eq(t.runs.id, runId)).limit(1);
  return run?.state === "running";
}
