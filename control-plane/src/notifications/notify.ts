import { newId, NOTIFICATION_KINDS, type NotificationKind, type NotificationSeverity, SEVERITY_RANK } from "@holdfast/shared";
import { and, eq, isNotNull, isNull, sql } from "drizzle-orm";
import type { AppContext } from "../context.js";
import type { NotificationMessage, NotificationSubject } from "./message.js";

export type NotifyContext = Pick<AppContext, "database" | "clock" | "log" | "notifications">;

/** What the rest of the control plane reports. */
export interface NotifyEvent {
  kind: NotificationKind;
  /** The kind's own severity unless the caller knows better. */
  severity?: NotificationSeverity;
  subject: NotificationSubject;
  /**
   * The condition this event opens or closes (`agent:agt_…`, `backup:ds_…`): a problem whose
   * condition is already open is collapsed, its recovery closes it.
   */
  conditionKey: string;
  title: string;
  text: string;
  url?: string;
}

export interface NotifyOutcome {
  /** Sends recorded, one per subscribed channel. */
  sends: number;
  /** The problem's condition was open already: nothing sent. */
  collapsed: boolean;
}

/**
 * Records one send per enabled channel subscribed to the kind at this severity, for the worker to
 * deliver. A problem opens its condition; while it is open, the same problem again is only counted.
 * A recovery closes the problem's condition; an `afterAlertOnly` one is sent only if it did. Never
 * throws: a failure to notify is logged and must not fail what was being reported.
 */
export async function notify(ctx: NotifyContext, event: NotifyEvent): Promise<NotifyOutcome> {
  try {
    return await record(ctx, event);
  } catch (err) {
    ctx.log.error({ err, kind: event.kind, conditionKey: event.conditionKey }, "could not record a notification");
    return { sends: 0, collapsed: false };
  }
}

/**
 * Closes an open condition (a recovery, or one whose recovery has no event kind of its own: a
 * destination reachable again); the row stays, closed, to be listed as a recent alert.
 */
export async function closeCondition(ctx: Pick<AppContext, "database" | "clock">, conditionKey: string): Promise<boolean> {
  const { db, t } = ctx.database;
  const c = t.notificationConditions;
  const closed = await db
    .update(c)
    .set({ closedAt: ctx.clock.now().getTime() })
    .where(and(eq(c.conditionKey, conditionKey), isNull(c.closedAt)))
    .returning({ key: c.conditionKey });
  return closed.length > 0;
}

async function record(ctx: NotifyContext, event: NotifyEvent): Promise<NotifyOutcome> {
  const meta: { severity: NotificationSeverity; recovers?: string; afterAlertOnly?: boolean } = NOTIFICATION_KINDS[event.kind];
  const severity = event.severity ?? meta.severity;
  const now = ctx.clock.now().getTime();
  const { db, t } = ctx.database;
  const c = t.notificationConditions;
  if (meta.recovers) {
    const closed = await closeCondition(ctx, event.conditionKey);
    if (meta.afterAlertOnly && !closed) return { sends: 0, collapsed: false };
  } else {
    // A new condition, or a closed one reopened in place; an open one is left as it is (collapsed).
    const fresh = { kind: event.kind, severity, subject: JSON.stringify(event.subject), title: event.title, openedAt: now, lastSeenAt: now, repeats: 0, closedAt: null };
    const opened = await db
      .insert(c)
      .values({ conditionKey: event.conditionKey, ...fresh })
      .onConflictDoUpdate({ target: c.conditionKey, set: fresh, setWhere: isNotNull(c.closedAt) })
      .returning({ key: c.conditionKey });
    if (opened.length === 0) {
      await db.update(c).set({ repeats: sql`${c.repeats} + 1`, lastSeenAt: now, title: event.title }).where(eq(c.conditionKey, event.conditionKey));
      ctx.log.info({ kind: event.kind, conditionKey: event.conditionKey }, "alert collapsed: its condition is still open");
      return { sends: 0, collapsed: true };
    }
  }
  const channels = (await db.select().from(t.notificationChannels).where(eq(t.notificationChannels.enabled, true))).filter(
    (ch) => (JSON.parse(ch.events) as string[]).includes(event.kind) && SEVERITY_RANK[severity] >= SEVERITY_RANK[ch.minSeverity as NotificationSeverity],
  );
  if (channels.length === 0) return { sends: 0, collapsed: false };
  const rows = channels.map((ch) => {
    const id = newId("nts");
    const message: NotificationMessage = { id, kind: event.kind, severity, title: event.title, text: event.text, url: event.url, subject: event.subject, conditionKey: event.conditionKey, occurredAt: new Date(now).toISOString() };
    return { id, channelId: ch.id, kind: event.kind, severity, conditionKey: event.conditionKey, message: JSON.stringify(message), state: "pending", createdAt: now, updatedAt: now };
  });
  await db.insert(t.notificationSends).values(rows);
  ctx.notifications?.kick();
  return { sends: rows.length, collapsed: false };
}
