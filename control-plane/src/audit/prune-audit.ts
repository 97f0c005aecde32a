import { lt } from "drizzle-orm";
import type { AppContext } from "../context.js";

type PruneContext = Pick<AppContext, "database" | "clock" | "env" | "log">;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/** Deletes the audit records older than HOLDFAST_AUDIT_RETENTION_DAYS (none when it is 0); answers how many went. */
export async function pruneAudit(ctx: PruneContext): Promise<number> {
  const days = ctx.env.auditRetentionDays;
  if (days === 0) return 0;
  const { db, t } = ctx.database;
  const cutoff = ctx.clock.now().getTime() - days * DAY_MS;
  const gone = await db.delete(t.auditLog).where(lt(t.auditLog.at, cutoff)).returning({ id: t.auditLog.id });
  return gone.length;
}

export interface AuditPruning {
  close(): Promise<void>;
}

/**
 * Prunes the audit log a minute after start, then hourly: the retention is in days, so an hour late
 * is nothing, and every replica may do it (the delete is idempotent).
 */
export function startAuditPruning(ctx: PruneContext, intervalMs = HOUR_MS): AuditPruning {
  let current: Promise<unknown> | undefined;
  let cancel: (() => void) | undefined;
  let closed = false;
  const arm = (ms: number) => {
    if (closed || ctx.env.auditRetentionDays === 0) return;
    cancel = ctx.clock.setTimeout(() => {
      current = pruneAudit(ctx)
        .then((n) => n > 0 && ctx.log.info({ deleted: n, days: ctx.env.auditRetentionDays }, "old audit records pruned"))
        .catch((err: unknown) => ctx.log.error({ err }, "audit pruning failed"))
        .finally(() => arm(intervalMs));
    }, ms);
  };
  arm(Math.min(intervalMs, 60_000));
  return {
    async close() {
      closed = true;
      cancel?.();
      await current;
    },
  };
}
