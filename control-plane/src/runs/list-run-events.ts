import { and, asc, eq } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { getRunRow } from "./get-run.js";

export interface RunEventView {
  eventId: string;
  sequence: number;
  type: string;
  occurredAt: string;
  data: unknown;
}

/** Every stored event of a run, in the agent's sequence order: the history its view was built from. */
export async function listRunEvents(ctx: DbContext, runId: string): Promise<RunEventView[]> {
  const run = await getRunRow(ctx, runId);
  const { db, t } = ctx.database;
  const rows = await db
    .select()
    .from(t.agentEvents)
    .where(and(eq(t.agentEvents.runId, run.id), eq(t.agentEvents.agentId, run.agentId)))
    .orderBy(asc(t.agentEvents.sequence), asc(t.agentEvents.eventId));
  return rows.map((r) => ({
    eventId: r.eventId,
    sequence: r.sequence,
    type: r.type,
    occurredAt: new Date(r.occurredAt).toISOString(),
    data: JSON.parse(r.data) as unknown,
  }));
}
