import { AgentStatus, DeliveryState, RunKind, RunState } from "@holdfast/shared";
import { count, inArray, isNull, sql } from "drizzle-orm";
import { Gauge, Registry } from "prom-client";
import type { DbContext } from "../context.js";
import { type LastGoodBackup, lastGoodBackups } from "../stats/last-good-backup.js";

/** The catalogue's error code of a delivery's stored error (JSON of an ErrorBody). */
function errorCodeSql(ctx: DbContext) {
  const e = ctx.database.t.deliveries.error;
  return ctx.database.dialect === "postgres" ? sql<string | null>`(${e}::json->>'code')` : sql<string | null>`json_extract(${e}, '$.code')`;
}

/**
 * The series read from the catalogue when Prometheus scrapes: every replica answers the same, and a
 * restart loses nothing. Each gauge is reset and refilled in its `collect`, so a datasource or an
 * agent that is gone stops being reported.
 */
export function catalogueRegistry(ctx: DbContext): Registry {
  const registry = new Registry();
  const { db, t } = ctx.database;

  new Gauge({
    name: "holdfast_runs",
    help: "Runs in the catalogue by kind and state (a rise of failed or missed is a failing backup)",
    labelNames: ["kind", "state"] as const,
    registers: [registry],
    async collect() {
      const rows = await db.select({ kind: t.runs.kind, state: t.runs.state, n: count() }).from(t.runs).groupBy(t.runs.kind, t.runs.state);
      this.reset();
      for (const kind of RunKind.options) for (const state of RunState.options) this.set({ kind, state }, 0);
      for (const r of rows) this.set({ kind: r.kind, state: r.state }, Number(r.n));
    },
  });

  new Gauge({
    name: "holdfast_queue_depth",
    help: "Runs waiting per agent: pending (not yet sent) or queued on the agent",
    labelNames: ["agent_id", "agent"] as const,
    registers: [registry],
    async collect() {
      const agents = await db.select({ id: t.agents.id, name: t.agents.name }).from(t.agents).where(isNull(t.agents.revokedAt));
      const waiting = await db
        .select({ agentId: t.runs.agentId, n: count() })
        .from(t.runs)
        .where(inArray(t.runs.state, ["pending", "queued"]))
        .groupBy(t.runs.agentId);
      this.reset();
      for (const a of agents) this.set({ agent_id: a.id, agent: a.name }, Number(waiting.find((w) => w.agentId === a.id)?.n ?? 0));
    },
  });

  new Gauge({
    name: "holdfast_agents",
    help: "Enrolled agents by status",
    labelNames: ["status"] as const,
    registers: [registry],
    async collect() {
      const rows = await db.select({ status: t.agents.status, n: count() }).from(t.agents).groupBy(t.agents.status);
      this.reset();
      for (const status of AgentStatus.options) this.set({ status }, Number(rows.find((r) => r.status === status)?.n ?? 0));
    },
  });

  new Gauge({
    name: "holdfast_deliveries",
    help: "Deliveries of live artifacts by state and, for a failed one or one waiting to retry, its error code",
    labelNames: ["state", "error_code"] as const,
    registers: [registry],
    async collect() {
      const code = errorCodeSql(ctx);
      const rows = await db
        .select({ state: t.deliveries.state, code, n: count() })
        .from(t.deliveries)
        .where(isNull(t.deliveries.deletedAt))
        .groupBy(t.deliveries.state, code);
      this.reset();
      for (const state of DeliveryState.options) this.set({ state, error_code: "" }, 0);
      for (const r of rows) this.inc({ state: r.state, error_code: r.code ?? "" }, Number(r.n));
    },
  });

  // Both gauges below read the same rows: a scrape collects every metric at once, so the second
  // collect finds the first one's query in flight and shares it.
  let inFlight: Promise<{ now: number; rows: LastGoodBackup[] }> | undefined;
  const lastGood = () => {
    const now = ctx.clock.now().getTime();
    inFlight ??= lastGoodBackups(ctx, now)
      .then((rows) => ({ now, rows }))
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
  const labelsOf = (r: LastGoodBackup) => ({ datasource_id: r.datasourceId, datasource: r.datasourceName });

  new Gauge({
    name: "holdfast_last_good_backup_age_seconds",
    help: "Seconds since each datasource's last good backup finished (+Inf: none yet)",
    labelNames: ["datasource_id", "datasource"] as const,
    registers: [registry],
    async collect() {
      const { now, rows } = await lastGood();
      this.reset();
      for (const r of rows) this.set(labelsOf(r), r.finishedAt === null ? Number.POSITIVE_INFINITY : Math.max(0, (now - Date.parse(r.finishedAt)) / 1000));
    },
  });

  new Gauge({
    name: "holdfast_backup_overdue",
    help: "1 when a datasource's scheduled backup is past due beyond its grace with no newer good backup",
    labelNames: ["datasource_id", "datasource"] as const,
    registers: [registry],
    async collect() {
      const { rows } = await lastGood();
      this.reset();
      for (const r of rows) this.set(labelsOf(r), r.overdue ? 1 : 0);
    },
  });

  new Gauge({
    name: "holdfast_open_alerts",
    help: "Problems open now (an alert sent or collapsed, no recovery yet) by event kind and severity",
    labelNames: ["kind", "severity"] as const,
    registers: [registry],
    async collect() {
      const c = t.notificationConditions;
      const rows = await db.select({ kind: c.kind, severity: c.severity, n: count() }).from(c).where(isNull(c.closedAt)).groupBy(c.kind, c.severity);
      this.reset();
      for (const r of rows) this.set({ kind: r.kind, severity: r.severity }, Number(r.n));
    },
  });

  return registry;
}
