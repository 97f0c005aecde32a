import { type HealthCheckView, type HealthResult, type HealthSummary, healthStatusOf, HoldfastError, newId } from "@holdfast/shared";
import { desc, eq } from "drizzle-orm";
import type { DbContext } from "../context.js";
import type { Tables } from "../db/index.js";
import { yieldToLoop } from "../timers/yield-to-loop.js";

type HealthRow = Tables["healthChecks"]["$inferSelect"];

/** What one check found, before it is recorded. */
export interface CheckOutcome {
  result: HealthResult;
  latencyMs?: number | null;
  serverVersion?: string | null;
  sizeBytes?: number | null;
  freeBytes?: number | null;
  error?: { code: string; message: string } | null;
}

/** A failure as an outcome: the catalog's code for a HoldfastError, else `error` with the message. */
export function failedOutcome(err: unknown, resultOf: (code: string) => Exclude<HealthResult, "ok">): CheckOutcome {
  if (err instanceof HoldfastError) return { result: resultOf(err.code), error: { code: err.code, message: err.message.slice(0, 2000) } };
  return { result: "error", error: { code: "INTERNAL", message: String(err).slice(0, 2000) } };
}

export async function recordCheck(ctx: DbContext, subjectId: string, outcome: CheckOutcome): Promise<void> {
  const { db, t } = ctx.database;
  await db.insert(t.healthChecks).values({
    id: newId("hc"),
    subjectId,
    checkedAt: ctx.clock.now().getTime(),
    result: outcome.result,
    latencyMs: outcome.latencyMs ?? null,
    serverVersion: outcome.serverVersion ?? null,
    sizeBytes: outcome.sizeBytes ?? null,
    freeBytes: outcome.freeBytes ?? null,
    errorCode: outcome.error?.code ?? null,
    errorMessage: outcome.error?.message ?? null,
  });
}

function toCheckView(row: HealthRow): HealthCheckView {
  return {
    checkedAt: new Date(row.checkedAt).toISOString(),
    result: row.result as HealthResult,
    latencyMs: row.latencyMs ?? null,
    serverVersion: row.serverVersion,
    sizeBytes: row.sizeBytes ?? null,
    freeBytes: row.freeBytes ?? null,
    error: row.errorCode ? { code: row.errorCode, message: row.errorMessage ?? "" } : null,
  };
}

/** A subject's newest checks, newest first. */
export async function recentChecks(ctx: Pick<DbContext, "database">, subjectId: string, limit: number): Promise<HealthCheckView[]> {
  const { db, t } = ctx.database;
  const rows = await db.select().from(t.healthChecks).where(eq(t.healthChecks.subjectId, subjectId)).orderBy(desc(t.healthChecks.checkedAt), desc(t.healthChecks.id)).limit(limit);
  return rows.map(toCheckView);
}

/** How many recent checks decide a status (a failure streak longer than this still reads critical). */
const STATUS_WINDOW = 3;

/** Each subject's status and newest check, for a list page (a few indexed reads per subject). */
export async function healthSummaries(ctx: Pick<DbContext, "database">, subjectIds: string[]): Promise<Map<string, HealthSummary>> {
  const out = new Map<string, HealthSummary>();
  for (const id of subjectIds) {
    const recent = await recentChecks(ctx, id, STATUS_WINDOW);
    out.set(id, { status: healthStatusOf(recent), lastCheck: recent[0] ?? null });
  }
  return out;
}

/** Subjects read per turn of the event loop (the worker asks about every datasource each tick). */
const LAST_CHECKED_BATCH = 100;

/**
 * The newest check's time per subject (epoch ms), for the worker to tell which are due: one index
 * seek each, letting the event loop turn every LAST_CHECKED_BATCH (2,000 seeks are a long turn on SQLite).
 */
export async function lastCheckedAt(ctx: Pick<DbContext, "database">, subjectIds: string[]): Promise<Map<string, number>> {
  if (subjectIds.length === 0) return new Map();
  const { db, t } = ctx.database;
  const out = new Map<string, number>();
  for (const [i, id] of subjectIds.entries()) {
    if (i > 0 && i % LAST_CHECKED_BATCH === 0) await yieldToLoop();
    const row = (await db.select({ at: t.healthChecks.checkedAt }).from(t.healthChecks).where(eq(t.healthChecks.subjectId, id)).orderBy(desc(t.healthChecks.checkedAt)).limit(1))[0];
    if (row) out.set(id, row.at);
  }
  return out;
}

