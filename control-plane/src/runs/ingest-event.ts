import type { AgentEventFrame, RunState } from "@holdfast/shared";
import { and, eq, inArray, lt } from "drizzle-orm";
import type { AppContext } from "../context.js";

type IngestContext = Pick<AppContext, "database" | "clock" | "puller" | "log">;

/** From which states an event may move a run: events are ordered, but a replay must not undo them. */
const BEFORE_START: RunState[] = ["pending", "queued"];
const NOT_FINISHED: RunState[] = ["pending", "queued", "running"];

/**
 * Stores one agent event, applies it to the run it is about and returns the sequence to acknowledge
 * (docs/link.md §4). The writes are ordered so that a crash between any two is repaired by the
 * agent's replay of unacknowledged events: the run update is guarded by state and so idempotent,
 * the event row is unique by `eventId` (a duplicate is ignored), and the acknowledged sequence only
 * moves past events that are stored.
 */
export async function ingestEvent(ctx: IngestContext, agentId: string, event: AgentEventFrame): Promise<{ ackSequence: number }> {
  const now = ctx.clock.now().getTime();
  if (event.runId) await applyToRun(ctx, agentId, event.runId, event);
  const { db, t } = ctx.database;
  await db
    .insert(t.agentEvents)
    .values({
      agentId,
      sequence: event.sequence,
      eventId: event.eventId,
      runId: event.runId ?? null,
      type: event.type,
      data: JSON.stringify(event.data),
      occurredAt: Date.parse(event.occurredAt),
      receivedAt: now,
    })
    .onConflictDoNothing();
  return { ackSequence: await advanceAck(ctx, agentId) };
}

async function applyToRun(ctx: IngestContext, agentId: string, runId: string, event: AgentEventFrame): Promise<void> {
  const { db, t } = ctx.database;
  const run = and(eq(t.runs.id, runId), eq(t.runs.agentId, agentId));
  const ms = (iso: string) => Date.parse(iso);
  switch (event.type) {
    case "backupQueued":
      await db.update(t.runs).set({ state: "queued" }).where(and(run, eq(t.runs.state, "pending")));
      return;
    case "backupStarted":
      await db
        .update(t.runs)
        .set({ state: "running", startedAt: ms(event.data.startedAt) })
        .where(and(run, inArray(t.runs.state, BEFORE_START)));
      return;
    case "backupProgress":
      return;
    case "backupCompleted": {
      const d = event.data;
      await db
        .update(t.runs)
        .set({ state: "completed", finishedAt: ms(d.finishedAt), sizeBytes: d.sizeBytes, rawSizeBytes: d.rawSizeBytes, sha256: d.sha256, fileName: d.fileName })
        .where(and(run, inArray(t.runs.state, NOT_FINISHED)));
      // Also on a replayed event: the pull is idempotent and may have been cut by a restart.
      const owned = await db.select({ state: t.runs.state }).from(t.runs).where(run).limit(1);
      if (owned[0]?.state === "completed") ctx.puller.kick(runId);
      return;
    }
    case "backupFailed":
    case "backupCancelled": {
      const state = event.type === "backupFailed" ? "failed" : "cancelled";
      const error = event.type === "backupFailed" ? JSON.stringify(event.data.error) : null;
      const changed = await db
        .update(t.runs)
        .set({ state, finishedAt: ms(event.data.finishedAt), error })
        .where(and(run, inArray(t.runs.state, NOT_FINISHED)))
        .returning({ id: t.runs.id });
      if (changed[0]) await failPendingDeliveries(ctx, runId, `The run ${state}; there is no artifact to deliver`);
      return;
    }
  }
}

async function failPendingDeliveries(ctx: IngestContext, runId: string, message: string): Promise<void> {
  const { db, t } = ctx.database;
  await db
    .update(t.deliveries)
    .set({ state: "failed", error: JSON.stringify({ code: "DELIVERY_FAILED", message, retryable: false }), updatedAt: ctx.clock.now().getTime() })
    .where(and(eq(t.deliveries.runId, runId), eq(t.deliveries.state, "pending")));
}

/**
 * Moves the agent's acknowledged sequence over every contiguous stored event. Acks are cumulative,
 * so a gap (an event lost in flight) holds the ack back until the replay fills it.
 */
async function advanceAck(ctx: IngestContext, agentId: string): Promise<number> {
  const { db, t } = ctx.database;
  const agent = (await db.select({ seq: t.agents.lastAckedSequence }).from(t.agents).where(eq(t.agents.id, agentId)).limit(1))[0];
  const from = agent?.seq ?? 0;
  let seq = from;
  for (;;) {
    const next = await db
      .select({ s: t.agentEvents.sequence })
      .from(t.agentEvents)
      .where(and(eq(t.agentEvents.agentId, agentId), eq(t.agentEvents.sequence, seq + 1)))
      .limit(1);
    if (!next[0]) break;
    seq += 1;
  }
  if (seq > from) {
    await db
      .update(t.agents)
      .set({ lastAckedSequence: seq })
      .where(and(eq(t.agents.id, agentId), lt(t.agents.lastAckedSequence, seq)));
  }
  return seq;
}
