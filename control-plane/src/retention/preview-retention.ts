import { type RetentionPolicy, type RetentionPreviewQuery, draftPolicyOf } from "@holdfast/shared";
import { inArray } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { datasourceBackups } from "./collect-backups.js";
import { type Deletable, deletableNow } from "./deletable.js";
import { planGfsOf, planManualOf } from "./plan-destinations.js";
import { assertTimeZone } from "../schedules/cron.js";
import { findSchedule, manualRetentionDaysFor, policyOf } from "./policies.js";

export interface RetentionPreview {
  scheduleId: string;
  timezone: string;
  /** Null: the schedule has no policy, so the pass keeps all its backups. */
  policy: RetentionPolicy | null;
  /** The days manual backups of this datasource are kept (0: until deleted). */
  manualRetentionDays: number;
  destinations: {
    destinationId: string;
    destinationName: string | null;
    kept: number;
    deleted: number;
    /** Newest first: every backup of the schedule there, and why it stays or goes. */
    items: PreviewItem[];
  }[];
}

export interface PreviewItem {
  runId: string;
  trigger: "schedule" | "manual";
  finishedAt: string;
  ok: boolean;
  /** What the next pass does: false only when it would delete the copy. */
  keep: boolean;
  /** The policy's: why a rule keeps it, or why none does. */
  reasons: string[];
  /**
   * A copy the policy would delete and the destination does not let go (deletable.ts, the executor's
   * own rule): "locked until <date>" (S3 Object Lock, `until` its retain-until date) or "kept: the
   * credentials cannot delete". Null otherwise.
   */
  keptBy: { verdict: "locked" | "cannot-delete"; note: string; until: string | null } | null;
  path: string | null;
}

function keptByOf(d: Deletable): PreviewItem["keptBy"] {
  if (d.verdict === "delete") return null;
  return { verdict: d.verdict, note: d.note, until: d.verdict === "locked" && d.until ? d.until.toISOString() : null };
}

/**
 * `GET /schedules/:id/retention/preview`: what the next retention pass would keep and delete on each
 * destination, and why, computed by the planners the executor uses, without touching anything.
 * With a draft (`?keepDaily=7&timezone=…`), what it would do if the schedule had that policy and
 * zone: the same backups, the same planners, nothing stored.
 */
export async function previewRetention(ctx: Pick<AppContext, "database" | "clock" | "env">, scheduleId: string, query: RetentionPreviewQuery = {}): Promise<RetentionPreview> {
  const stored = await findSchedule(ctx, scheduleId);
  if (query.timezone !== undefined) assertTimeZone(query.timezone);
  const draft = draftPolicyOf(query);
  const schedule = {
    ...stored,
    ...(draft ? { retention: JSON.stringify(draft) } : {}),
    ...(query.timezone !== undefined ? { timezone: query.timezone } : {}),
  };
  const now = ctx.clock.now();
  const days = await manualRetentionDaysFor(ctx, schedule.datasourceId, ctx.env.manualRetentionDays, draft ? { scheduleId, policy: draft } : undefined);
  // One read of the datasource's backups serves both planners: the schedule's runs are among them.
  const backups = await datasourceBackups(ctx, schedule.datasourceId);
  const gfs = planGfsOf(backups, schedule, now);
  // Manual runs started from the schedule are aged with the datasource's other manual backups.
  const manual = new Map<string, { keep: boolean; reasons: string[] }>();
  // Only where a manual backup is: the others' manual plan says "decided by GFS" for every backup.
  const withManual = new Map([...backups].filter(([, list]) => list.some((b) => b.manual)));
  for (const plan of planManualOf(withManual, days, now)) {
    for (const item of plan.items) if (item.backup.manual) manual.set(`${plan.destinationId}/${item.backup.id}`, item);
  }
  const { db, t } = ctx.database;
  const ids = gfs.map((p) => p.destinationId);
  const destinations = new Map(
    ids.length === 0
      ? []
      : (await db.select({ id: t.destinations.id, name: t.destinations.name, deleteDeniedAt: t.destinations.deleteDeniedAt }).from(t.destinations).where(inArray(t.destinations.id, ids))).map((r) => [r.id, r]),
  );
  return {
    scheduleId: schedule.id,
    timezone: schedule.timezone,
    policy: policyOf(schedule),
    manualRetentionDays: days,
    destinations: gfs.map((plan) => {
      const refusesDeletes = (destinations.get(plan.destinationId)?.deleteDeniedAt ?? null) !== null;
      const items = plan.items.map((item): PreviewItem => {
        const decision = item.backup.manual ? (manual.get(`${plan.destinationId}/${item.backup.id}`) ?? item) : item;
        // The executor asks the same question of each copy it would delete, before any request.
        const keptBy = decision.keep ? null : keptByOf(deletableNow(item.backup, { refusesDeletes }, now));
        return {
          runId: item.backup.id,
          trigger: item.backup.manual ? ("manual" as const) : ("schedule" as const),
          finishedAt: item.backup.finishedAt.toISOString(),
          ok: item.backup.ok,
          keep: decision.keep || keptBy !== null,
          reasons: decision.reasons,
          keptBy,
          path: item.backup.path,
        };
      });
      return {
        destinationId: plan.destinationId,
        destinationName: destinations.get(plan.destinationId)?.name ?? null,
        kept: items.filter((i) => i.keep).length,
        deleted: items.filter((i) => !i.keep).length,
        items,
      };
    }),
  };
}
