import { ALERTS_CLOSED_WINDOW_DAYS, type AlertList, type AlertSubject, type AlertView, NOTIFICATION_KINDS, type NotificationKind, type NotificationSeverity, SEVERITY_RANK } from "@holdfast/shared";
import { gte, inArray, isNull, or } from "drizzle-orm";
import type { AppContext } from "../context.js";
import type { NotificationSubject } from "./message.js";

const DAY_MS = 86_400_000;

/** The open conditions, worst then oldest first, and those closed in the last week, newest first. */
export async function listAlerts(ctx: Pick<AppContext, "database" | "clock">): Promise<AlertList> {
  const { db, t } = ctx.database;
  const c = t.notificationConditions;
  const since = ctx.clock.now().getTime() - ALERTS_CLOSED_WINDOW_DAYS * DAY_MS;
  const rows = await db.select().from(c).where(or(isNull(c.closedAt), gte(c.closedAt, since)));
  const subjects = new Map(rows.map((r) => [r.conditionKey, subjectOf(JSON.parse(r.subject) as NotificationSubject)]));
  const names = await subjectNames(ctx, [...subjects.values()].filter((s) => s !== null));
  const views: AlertView[] = rows.map((r) => {
    const subject = subjects.get(r.conditionKey) ?? null;
    const kind = r.kind as NotificationKind;
    return {
      conditionKey: r.conditionKey,
      kind,
      label: NOTIFICATION_KINDS[kind]?.label ?? kind,
      severity: r.severity as NotificationSeverity,
      subject: subject && { ...subject, name: names.get(subject.id) ?? null },
      title: r.title,
      openedAt: new Date(r.openedAt).toISOString(),
      lastSeenAt: new Date(r.lastSeenAt).toISOString(),
      repeats: r.repeats,
      closedAt: r.closedAt === null ? null : new Date(r.closedAt).toISOString(),
    };
  });
  return {
    open: views
      .filter((v) => v.closedAt === null)
      .sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.openedAt.localeCompare(b.openedAt)),
    recentlyClosed: views.filter((v) => v.closedAt !== null).sort((a, b) => (b.closedAt ?? "").localeCompare(a.closedAt ?? "")),
  };
}

/** The object a receiver would look up first: the datasource, else the agent, the destination, the run. */
function subjectOf(s: NotificationSubject): Omit<AlertSubject, "name"> | null {
  if (s.datasourceId) return { type: "datasource", id: s.datasourceId };
  if (s.agentId) return { type: "agent", id: s.agentId };
  if (s.destinationId) return { type: "destination", id: s.destinationId };
  if (s.runId) return { type: "run", id: s.runId };
  return null;
}

/** Names by id, one query per table that has a subject (runs have no name of their own). */
async function subjectNames(ctx: Pick<AppContext, "database">, subjects: Omit<AlertSubject, "name">[]): Promise<Map<string, string>> {
  const { db, t } = ctx.database;
  const ids = (type: AlertSubject["type"]) => [...new Set(subjects.filter((s) => s.type === type).map((s) => s.id))];
  const names = new Map<string, string>();
  for (const [type, table] of [
    ["datasource", t.datasources],
    ["agent", t.agents],
    ["destination", t.destinations],
  ] as const) {
    const wanted = ids(type);
    if (wanted.length === 0) continue;
    for (const row of await db.select({ id: table.id, name: table.name }).from(table).where(inArray(table.id, wanted))) names.set(row.id, row.name);
  }
  return names;
}
