import { and, eq, gt, inArray, isNull } from "drizzle-orm";
import type { AppContext } from "../context.js";
import type { Logger } from "../logger.js";

type ReleaseContext = Pick<AppContext, "database" | "clock" | "link" | "log">;

/**
 * How far back an owed clean-up is still sent: an agent's staged copy lives its artifact TTL (24 h by
 * default) at most, so a week covers any TTL an operator would set, and bounds what a reconnect sends.
 */
export const OWED_RELEASE_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Tells the agent its staged copy of `runId` is no longer needed (the spool copy is verified) and
 * records the agent's confirmation. An agent that cannot be reached keeps the clean-up owed:
 * releaseOwedStaging sends it when the agent is back (an agent killed mid-upload kept its copy until
 * its TTL otherwise).
 */
export async function releaseStaging(ctx: ReleaseContext, agentId: string, runId: string, log: Logger): Promise<void> {
  try {
    await ctx.link.sendCommand(agentId, "cleanupStaging", { runId }, { idempotencyKey: `cleanup-${runId}` });
  } catch (err) {
    log.warn({ err: (err as Error).message }, "cleanupStaging failed; sent again when the agent is back");
    return;
  }
  const { db, t } = ctx.database;
  await db.update(t.runs).set({ stagingReleasedAt: ctx.clock.now().getTime() }).where(eq(t.runs.id, runId));
}

/**
 * The clean-ups owed to an agent: its recent completed backups that reached a destination (so the
 * spool copy was verified) and whose staged copy it has not confirmed removing, nor reported expired.
 */
export async function releaseOwedStaging(ctx: ReleaseContext, agentId: string): Promise<void> {
  const { db, t } = ctx.database;
  const since = ctx.clock.now().getTime() - OWED_RELEASE_WINDOW_MS;
  const owed = await db
    .selectDistinct({ runId: t.runs.id })
    .from(t.runs)
    .innerJoin(t.deliveries, eq(t.deliveries.runId, t.runs.id))
    .where(
      and(
        eq(t.runs.agentId, agentId),
        eq(t.runs.kind, "backup"),
        eq(t.runs.state, "completed"),
        isNull(t.runs.stagingReleasedAt),
        isNull(t.runs.artifactExpiredAt),
        gt(t.runs.finishedAt, since),
        inArray(t.deliveries.state, ["completed"]),
      ),
    );
  for (const { runId } of owed) await releaseStaging(ctx, agentId, runId, ctx.log.child({ runId, agentId }));
}
