import type { ErrorBody, ListNotificationSendsQuery, NotificationKind, NotificationSendState, NotificationSendView, NotificationSeverity } from "@holdfast/shared";
import { desc, eq } from "drizzle-orm";
import type { AppContext } from "../context.js";

/** The newest sends first, with their outcome: what an admin reads to see whether alerts arrive. */
export async function listSends(ctx: Pick<AppContext, "database">, query: ListNotificationSendsQuery): Promise<NotificationSendView[]> {
  const { db, t } = ctx.database;
  const s = t.notificationSends;
  const rows = await db
    .select()
    .from(s)
    .where(query.channelId ? eq(s.channelId, query.channelId) : undefined)
    .orderBy(desc(s.createdAt), desc(s.id))
    .limit(query.limit);
  return rows.map((r) => ({
    id: r.id,
    channelId: r.channelId,
    kind: r.kind as NotificationKind,
    severity: r.severity as NotificationSeverity,
    title: (JSON.parse(r.message) as { title: string }).title,
    state: r.state as NotificationSendState,
    attempts: r.attempts,
    error: r.error ? (JSON.parse(r.error) as ErrorBody) : null,
    createdAt: new Date(r.createdAt).toISOString(),
    updatedAt: new Date(r.updatedAt).toISOString(),
  }));
}
