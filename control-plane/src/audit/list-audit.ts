import type { AuditQuery } from "@holdfast/shared";
import { and, desc, eq, gte, lt, or, type SQL, sql } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { decodeRunCursor, encodeRunCursor } from "../runs/run-cursor.js";
import type { AuditActor } from "./record-audit.js";

export interface AuditRecord {
  id: string;
  at: string;
  actor: AuditActor | null;
  action: string;
  target: Record<string, string>;
  fields: string[];
  status: number;
  errorCode: string | null;
  clientAddress: string;
  requestId: string | null;
}

export interface AuditPage {
  items: AuditRecord[];
  /** Pass as `cursor` for the next (older) page; null on the last one. */
  nextCursor: string | null;
}

/** A LIKE pattern matching `"<id>"` anywhere in the target's JSON; `_` and `%` in the id match only themselves. */
function quotedIdPattern(id: string): string {
  return `%"${id.replace(/[\\%_]/g, (ch) => `\\${ch}`)}"%`;
}

/**
 * `GET /api/v1/audit`: newest first by (at, id), a page at a time, keyset-paginated like the run
 * list (its cursor format: a time and an id), so records written while a client pages never shift
 * a page. The filters are ANDed; `object` matches any id of the target, by whatever role it plays.
 */
export async function listAudit(ctx: DbContext, q: AuditQuery): Promise<AuditPage> {
  const { db, t } = ctx.database;
  const a = t.auditLog;
  const cursor = q.cursor ? decodeRunCursor(q.cursor) : undefined;
  const where: (SQL | undefined)[] = [
    q.actor ? or(eq(a.actorUserId, q.actor), eq(sql`lower(${a.actorEmail})`, q.actor.toLowerCase())) : undefined,
    q.action ? eq(a.action, q.action) : undefined,
    q.object ? sql`${a.target} like ${quotedIdPattern(q.object)} escape '\\'` : undefined,
    q.from ? gte(a.at, Date.parse(q.from)) : undefined,
    q.to ? lt(a.at, Date.parse(q.to)) : undefined,
    cursor ? or(lt(a.at, cursor.createdAt), and(eq(a.at, cursor.createdAt), lt(a.id, cursor.id))) : undefined,
  ];
  const rows = await db
    .select()
    .from(a)
    .where(and(...where))
    .orderBy(desc(a.at), desc(a.id))
    .limit(q.limit + 1);
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  return {
    items: page.map((r) => ({
      id: r.id,
      at: new Date(r.at).toISOString(),
      actor: r.actorUserId === null ? null : { userId: r.actorUserId, email: r.actorEmail ?? "", credential: r.credential ?? "" },
      action: r.action,
      target: JSON.parse(r.target) as Record<string, string>,
      fields: JSON.parse(r.fields) as string[],
      status: r.status,
      errorCode: r.errorCode,
      clientAddress: r.clientAddress,
      requestId: r.requestId,
    })),
    nextCursor: rows.length > q.limit && last ? encodeRunCursor({ createdAt: last.at, id: last.id }) : null,
  };
}
