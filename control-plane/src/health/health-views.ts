import { consecutiveFailures, type DatasourceHealthAnswer, type HealthSummary, healthStatusOf } from "@holdfast/shared";
import type { AppContext, DbContext } from "../context.js";
import { usedBytes } from "../deliveries/quota.js";
import { findDatasourceRow } from "../datasources/get-datasource.js";
import { healthSummaries, recentChecks } from "./health-records.js";
import { nearlyFull } from "./probe-destination.js";

/** `GET /datasources/:id/health`: the status, the interval in force and the newest `limit` checks. */
export async function getDatasourceHealth(ctx: DbContext & Pick<AppContext, "env">, datasourceId: string, limit: number): Promise<DatasourceHealthAnswer> {
  const row = await findDatasourceRow(ctx, datasourceId);
  const checks = await recentChecks(ctx, row.id, limit);
  return {
    status: healthStatusOf(checks),
    lastCheck: checks[0] ?? null,
    consecutiveFailures: consecutiveFailures(checks),
    // HOLDFAST_HEALTH_INTERVAL_MS=0 turns every datasource's checks off, whatever its own interval.
    intervalMinutes: ctx.env.healthIntervalMs === 0 ? 0 : (row.healthIntervalMinutes ?? ctx.env.healthIntervalMs / 60_000),
    checks,
  };
}

/** A destination's health: its probes' status, and whether it is short of room by its last probe and Holdfast's records. */
export type DestinationHealth = HealthSummary & { usedBytes: number; nearlyFull: string | null };

export async function destinationHealth(ctx: DbContext & Pick<AppContext, "env">, destinations: { id: string; maxSizeGb: number | null }[]): Promise<Map<string, DestinationHealth>> {
  const summaries = await healthSummaries(ctx, destinations.map((d) => d.id));
  const out = new Map<string, DestinationHealth>();
  for (const d of destinations) {
    const summary = summaries.get(d.id) ?? { status: "unknown" as const, lastCheck: null };
    const used = await usedBytes(ctx, d.id);
    const short = summary.lastCheck?.result === "ok" ? nearlyFull(ctx.env, summary.lastCheck.freeBytes, used, d.maxSizeGb) : null;
    out.set(d.id, { ...summary, status: short && summary.status === "healthy" ? "warning" : summary.status, usedBytes: used, nearlyFull: short });
  }
  return out;
}
