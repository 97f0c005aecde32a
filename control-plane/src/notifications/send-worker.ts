import { HoldfastError, type NotificationChannelType, toErrorBody } from "@holdfast/shared";
import { and, asc, eq, gt, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { backoffAfter } from "../deliveries/retry-policy.js";
import { metrics } from "../metrics/index.js";
import { openChannelConfig } from "./channel-rows.js";
import { sendThrough } from "./channels/index.js";
import type { NotificationMessage } from "./message.js";

export interface NotificationWorkerOptions {
  /** Tries per send, the first included, and the wait after the first failure (doubling): from the settings unless given. */
  attempts?: number;
  backoffMs?: number;
  /** Longest sleep between two looks at the table. */
  pollMs?: number;
  /** Sends under way at once, across channels. */
  concurrency?: number;
}

export interface NotificationWorker {
  kick(): void;
  start(): void;
  /** Settles when no send is under way (tests). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

type WorkerContext = Pick<AppContext, "database" | "clock" | "log" | "secrets" | "env">;

/**
 * Delivers the recorded sends, each on its own: a channel that fails waits in the table
 * (`pending` + `nextAttemptAt`, backoff doubling as deliveries do) while the others go on, and a
 * restart picks up where it was. A `sending` row older than the lease belongs to a process that
 * died and is taken over.
 */
export function createNotificationWorker(ctx: WorkerContext, opts: NotificationWorkerOptions = {}): NotificationWorker {
  const attempts = opts.attempts ?? ctx.env.notifyAttempts;
  const backoffMs = opts.backoffMs ?? ctx.env.notifyBackoffMs;
  const pollMs = opts.pollMs ?? 30_000;
  const concurrency = opts.concurrency ?? 8;
  const leaseMs = ctx.env.notifyTimeoutMs * 3;
  const { db, t } = ctx.database;
  const s = t.notificationSends;
  const active = new Map<string, Promise<void>>();
  let closed = false;
  let scanning = false;
  let again = false;
  let cancelTimer: (() => void) | undefined;

  async function attempt(row: { id: string; state: string; updatedAt: number }): Promise<void> {
    const now = ctx.clock.now().getTime();
    const [claimed] = await db
      .update(s)
      .set({ state: "sending", attempts: sql`${s.attempts} + 1`, updatedAt: now })
      .where(and(eq(s.id, row.id), eq(s.state, row.state), eq(s.updatedAt, row.updatedAt)))
      .returning();
    if (!claimed) return;
    const log = ctx.log.child({ sendId: claimed.id, channelId: claimed.channelId, kind: claimed.kind, attempt: claimed.attempts });
    let channelType = "unknown";
    try {
      const channel = (await db.select().from(t.notificationChannels).where(eq(t.notificationChannels.id, claimed.channelId)).limit(1))[0];
      channelType = channel?.type ?? channelType;
      if (!channel) throw new HoldfastError("NOTIFICATION_CHANNEL_NOT_FOUND", "The channel was removed", { channelId: claimed.channelId }, false);
      const message = JSON.parse(claimed.message) as NotificationMessage;
      await sendThrough(channel.type as NotificationChannelType, openChannelConfig(ctx.secrets, channel), message, { timeoutMs: ctx.env.notifyTimeoutMs, strictAddresses: ctx.env.notifyStrictAddresses });
      await db.update(s).set({ state: "sent", error: null, nextAttemptAt: null, updatedAt: ctx.clock.now().getTime() }).where(eq(s.id, claimed.id));
      metrics.notificationSends.inc({ channel_type: channelType, outcome: "sent" });
      log.info("notification sent");
    } catch (err) {
      const error = toErrorBody(err);
      const final = claimed.attempts >= attempts || !error.retryable;
      const at = ctx.clock.now().getTime();
      const nextAttemptAt = final ? null : at + backoffAfter(claimed.attempts, backoffMs);
      await db.update(s).set({ state: final ? "failed" : "pending", error: JSON.stringify(error), nextAttemptAt, updatedAt: at }).where(eq(s.id, claimed.id));
      metrics.notificationSends.inc({ channel_type: channelType, outcome: final ? "failed" : "retrying" });
      if (final) log.warn({ err: error }, "notification failed; giving up");
      else log.info({ err: error, retryAt: new Date(nextAttemptAt!).toISOString() }, "notification failed; retrying later");
    }
  }

  async function scan(): Promise<void> {
    const now = ctx.clock.now().getTime();
    const due = await db
      .select({ id: s.id, state: s.state, updatedAt: s.updatedAt })
      .from(s)
      .where(or(and(eq(s.state, "pending"), or(isNull(s.nextAttemptAt), lte(s.nextAttemptAt, now))), and(eq(s.state, "sending"), lt(s.updatedAt, now - leaseMs))))
      .orderBy(asc(s.createdAt))
      .limit(concurrency * 4);
    for (const row of due) {
      if (closed || active.size >= concurrency) break;
      if (active.has(row.id)) continue;
      const p = attempt(row)
        .catch((err: unknown) => ctx.log.error({ err, sendId: row.id }, "notification worker error"))
        .finally(() => {
          active.delete(row.id);
          kick();
        });
      active.set(row.id, p);
    }
    const next = await db.select({ at: s.nextAttemptAt }).from(s).where(and(eq(s.state, "pending"), gt(s.nextAttemptAt, now))).orderBy(asc(s.nextAttemptAt)).limit(1);
    const wait = Math.min(pollMs, Math.max(10, (next[0]?.at ?? Infinity) - ctx.clock.now().getTime()));
    cancelTimer?.();
    if (!closed) cancelTimer = ctx.clock.setTimeout(kick, wait);
  }

  function kick(): void {
    if (closed) return;
    if (scanning) {
      again = true;
      return;
    }
    scanning = true;
    void (async () => {
      do {
        again = false;
        await scan().catch((err: unknown) => ctx.log.error({ err }, "could not look for due notifications"));
      } while (again && !closed);
      scanning = false;
    })();
  }

  return {
    kick,
    start: kick,
    async idle() {
      while (active.size > 0 || scanning) {
        await Promise.allSettled([...active.values()]);
        if (scanning) await new Promise((r) => setTimeout(r, 5));
      }
    },
    async close() {
      closed = true;
      cancelTimer?.();
      await Promise.allSettled([...active.values()]);
    },
  };
}
