import { AgentStatus } from "@holdfast/shared";
import { asc } from "drizzle-orm";
import type { DbContext } from "../context.js";

export interface AgentView {
  id: string;
  name: string;
  hostname: string;
  status: AgentStatus;
  lastSeenAt: string | null;
  version: string | null;
}

export async function listAgents(ctx: DbContext): Promise<AgentView[]> {
  const { db, t } = ctx.database;
  const rows = await db.select().from(t.agents).orderBy(asc(t.agents.createdAt), asc(t.agents.id));
  return rows.map((a) => ({
    id: a.id,
    name: a.name,
    hostname: a.hostname,
    status: AgentStatus.parse(a.status),
    lastSeenAt: a.lastSeenAt === null ? null : new Date(a.lastSeenAt).toISOString(),
    version: a.version,
  }));
}
