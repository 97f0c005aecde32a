import { type AgentEventFrame, type AgentRunState, canTransition, type EventType, Events, HoldfastError, isEventType, isTerminal, type RunKind, type RunState } from "@holdfast/shared";
import { and, eq, lt } from "drizzle-orm";
import { exists, spooledPath } from "../artifacts/spool.js";
import { failDeliveries } from "../deliveries/fail-deliveries.js";
import { observeRunEnd } from "../metrics/process-series.js";
import { artifactMetaOf } from "./get-run.js";
import type { AppContext } from "../context.js";
import type { Tables } from "../db/index.js";
import type { Logger } from "../logger.js";

import { notifyBackupFailed, notifyBackupSucceeded } from "../notifications/producers.js";
type IngestContext = Pick<AppContext, "database" | "clock" | "puller" | "log" | "env" | "progress" | "notifications">;
type RunRow = Tables["runs"]["$inferSelect"];
type EventRow = Tables["agentEvents"]["$inferSelect"];

export interface IngestResult {
  /** Every event of the agent up to this sequence is stored and applied: the cumulative ack. */
  ackSequence: number;
  /** The event lies beyond a hole in the sequence: the agent should replay from `ackSequence`. */
  gap: boolean;
}

/**
 * Stores one agent event and applies, in sequence order, every stored event the acknowledgement can
 * now move over (docs/link.md §4). Events are applied only once they are contiguous, so an event that
 * arrives early (after a gap) waits for the ones before it and the run view is the same whatever the
 * arrival order. The run view is built from these events alone.
 *
 * Crash safety without transactions: the event row is unique by `eventId` (a duplicate is ignored);
 * the ack moves one event at a time, after that event was applied; applying is guarded by the run's
 * state, so the one event a crash may make us apply twice changes nothing the second time.
 */
export async function ingestEvent(ctx: IngestContext, agentId: string, event: AgentEventFrame): Promise<IngestResult> {
  const { db, t } = ctx.database;
  const stored = await db
    .insert(t.agentEvents)
    .values({
      agentId,
      sequence: event.sequence,
      eventId: event.eventId,
      runId: event.runId ?? null,
      type: event.type,
      data: JSON.stringify(event.data),
      occurredAt: Date.parse(event.occurredAt),
      receivedAt: ctx.clock.now().getTime(),
    })
    .onConflictDoNothing()
    .returning({ eventId: t.agentEvents.eventId });
  if (!stored[0]) ctx.log.debug({ eventId: event.eventId, sequence: event.sequence, runId: event.runId }, "duplicate event ignored");
  const { from, to: ackSequence } = await applyContiguous(ctx, agentId);
  if (stored[0] && event.sequence <= from) {
    // A new eventId at a sequence already acknowledged: the agent's outbox was reset or is broken.
    ctx.log.warn({ agentId, eventId: event.eventId, sequence: event.sequence, runId: event.runId }, "event below the acknowledged sequence; stored, not applied");
  }
  return { ackSequence, gap: event.sequence > ackSequence };
}

/** The last event sequence of the agent stored and applied: what hello tells it to replay after. 0 before any. */
export async function lastAckedSequence(ctx: Pick<AppContext, "database">, agentId: string): Promise<number> {
  const { db, t } = ctx.database;
  const agent = (await db.select({ seq: t.agents.lastAckedSequence }).from(t.agents).where(eq(t.agents.id, agentId)).limit(1))[0];
  return agent?.seq ?? 0;
}

/**
 * Moves the agent's acknowledged sequence over every contiguous stored event, applying each to its run
 * first. A gap (an event lost in flight) holds both back until the replay fills it.
 */
async function applyContiguous(ctx: IngestContext, agentId: string): Promise<{ from: number; to: number }> {
  const { db, t } = ctx.database;
  const from = await lastAckedSequence(ctx, agentId);
  let seq = from;
  for (;;) {
    const next = (
      await db
        .select()
        .from(t.agentEvents)
        .where(and(eq(t.agentEvents.agentId, agentId), eq(t.agentEvents.sequence, seq + 1)))
        .orderBy(t.agentEvents.receivedAt, t.agentEvents.eventId)
        .limit(1)
    )[0];
    if (!next) break;
    await applyEvent(ctx, agentId, next);
    seq += 1;
    await db
      .update(t.agents)
      .set({ lastAckedSequence: seq })
      .where(and(eq(t.agents.id, agentId), lt(t.agents.lastAckedSequence, seq)));
  }
  return { from, to: seq };
}

/** A stored event back as a typed frame; its data was validated when it arrived. */
function toFrame(row: EventRow): AgentEventFrame | undefined {
  if (!isEventType(row.type)) return undefined;
  const data = Events[row.type as EventType].safeParse(JSON.parse(row.data));
  if (!data.success) return undefined;
  return {
    type: row.type,
    eventId: row.eventId,
    sequence: row.sequence,
    ...(row.runId ? { runId: row.runId } : {}),
    occurredAt: new Date(row.occurredAt).toISOString(),
    data: data.data,
  } as AgentEventFrame;
}

async function applyEvent(ctx: IngestContext, agentId: string, row: EventRow): Promise<void> {
  if (!row.runId) return;
  const event = toFrame(row);
  const log = ctx.log.child({ agentId, runId: row.runId, eventId: row.eventId, sequence: row.sequence, type: row.type });
  if (!event) {
    log.error("stored event no longer parses; not applied");
    return;
  }
  const { db, t } = ctx.database;
  const run = (await db.select().from(t.runs).where(and(eq(t.runs.id, row.runId), eq(t.runs.agentId, agentId))).limit(1))[0];
  if (!run) {
    log.warn("event about a run this agent does not own; stored, not applied");
    return;
  }
  await applyToRun(ctx, run, event, run.scheduleId ? log.child({ scheduleId: run.scheduleId }) : log);
}

/** The agent-side state a control-plane state stands for: `pending` is a run not yet queued there. */
function agentStateOf(state: RunState): AgentRunState | undefined {
  if (state === "pending") return "queued";
  if (state === "missed") return undefined;
  return state;
}

type RunUpdate = Partial<Tables["runs"]["$inferInsert"]>;

/**
 * Moves the run to `to` if shared's state machine allows it from its current state; the update is
 * conditional on that state, so a concurrent change is never overwritten. An event naming the state
 * the run is already in is a replay and changes nothing; any other refused move is logged.
 */
async function transition(ctx: IngestContext, run: RunRow, to: AgentRunState, set: RunUpdate, log: Logger): Promise<"applied" | "already" | "refused"> {
  const from = agentStateOf(run.state as RunState);
  if (from === to && run.state === to) return "already";
  if (from === undefined || (from !== to && !canTransition(from, to))) {
    log.warn({ from: run.state, to }, "event would be an invalid state transition; stored, not applied");
    return "refused";
  }
  const { db, t } = ctx.database;
  const changed = await db
    .update(t.runs)
    .set({ ...set, state: to })
    .where(and(eq(t.runs.id, run.id), eq(t.runs.state, run.state)))
    .returning({ id: t.runs.id });
  if (!changed[0]) {
    log.warn({ from: run.state, to }, "run changed while the event was applied; not applied");
    return "refused";
  }
  log.info({ from: run.state, to }, "run state changed");
  if (isTerminal(to)) observeRunEnd(run, to, set);
  return "applied";
}

/** Records something about a run that does not move it, if the run is in the state the event implies. */
async function annotate(ctx: IngestContext, run: RunRow, when: RunState, set: RunUpdate, log: Logger): Promise<void> {
  if (run.state !== when) {
    log.warn({ state: run.state, expected: when }, "event does not fit the run's state; stored, not applied");
    return;
  }
  if (Object.keys(set).length === 0) return;
  const { db, t } = ctx.database;
  await db
    .update(t.runs)
    .set(set)
    .where(and(eq(t.runs.id, run.id), eq(t.runs.state, when)));
}

/** Progress of a running run, for the live event feed (which throttles it). */
function reportProgress(ctx: IngestContext, run: RunRow, data: { step: string; bytes: number; percent: number | null }, occurredAt: string): void {
  if (run.state !== "running") return;
  ctx.progress?.report({
    runId: run.id,
    agentId: run.agentId,
    datasourceId: run.datasourceId,
    kind: run.kind as RunKind,
    step: data.step,
    bytes: data.bytes,
    percent: data.percent,
    occurredAt: Date.parse(occurredAt),
    startedAt: run.startedAt,
  });
}

async function applyToRun(ctx: IngestContext, run: RunRow, event: AgentEventFrame, log: Logger): Promise<void> {
  const ms = (iso: string) => Date.parse(iso);
  switch (event.type) {
    case "backupQueued": {
      const set = { queuedAt: ms(event.occurredAt), scheduleId: event.data.scheduleId ?? run.scheduleId };
      // The control plane records a run as queued before the agent confirms it; this is that confirmation.
      if (run.state === "queued") return annotate(ctx, run, "queued", set, log);
      await transition(ctx, run, "queued", set, log);
      return;
    }
    case "backupDequeued":
      return annotate(ctx, run, "queued", {}, log);
    case "backupStarted":
      // The pull may start while the agent stages (docs/link.md §8): the puller decides whether it does.
      // ("already" too: the control plane records a run running as soon as startBackup is answered.)
      if ((await transition(ctx, run, "running", { startedAt: ms(event.data.startedAt) }, log)) !== "refused") ctx.puller.kick(run.id);
      return;
    case "backupStep":
      await annotate(ctx, run, "running", { step: event.data.step }, log);
      // The file opens now: a pull that found none when the run started tries again.
      if (event.data.step === "stage") ctx.puller.kick(run.id);
      return;
    case "backupProgress":
      await annotate(ctx, run, "running", { progressBytes: event.data.bytes }, log);
      return reportProgress(ctx, run, event.data, event.occurredAt);
    case "backupCompleted": {
      const d = event.data;
      const result = await transition(
        ctx,
        run,
        "completed",
        {
          finishedAt: ms(d.finishedAt),
          sizeBytes: d.sizeBytes,
          rawSizeBytes: d.rawSizeBytes,
          sha256: d.sha256,
          fileName: d.fileName,
          step: null,
          artifactMeta: JSON.stringify(artifactMetaOf(d)),
          verified: d.verification ? d.verification.verified : null,
          verification: d.verification ? JSON.stringify(d.verification) : null,
        },
        log,
      );
      // Also when already completed: the pull is idempotent and may have been cut by a restart.
      if (result !== "refused") ctx.puller.kick(run.id);
      if (result === "applied") await notifyBackupSucceeded(ctx, run);
      return;
    }
    case "backupFailed":
    case "backupCancelled":
    case "backupExpired": {
      const to = event.type === "backupFailed" ? "failed" : event.type === "backupCancelled" ? "cancelled" : "expired";
      const set: RunUpdate = { finishedAt: ms(event.data.finishedAt), step: null };
      if (event.type === "backupFailed") set.error = JSON.stringify(event.data.error);
      if (event.type === "backupCancelled") set.cancelReason = event.data.reason;
      if ((await transition(ctx, run, to, set, log)) === "applied") {
        // Whatever a pull during staging received is no backup: the puller removes it.
        ctx.puller.kick(run.id);
        await failDeliveries(ctx, run.id, new HoldfastError("DELIVERY_FAILED", `The run ${to}; there is no artifact to deliver`, { runId: run.id }));
        if (event.type === "backupFailed") await notifyBackupFailed(ctx, run, event.data.error);
      }
      return;
    }
    // A restore run moves along the same state machine; it has no artifact and no deliveries.
    case "restoreStarted":
      await transition(ctx, run, "running", { startedAt: ms(event.data.startedAt), step: "download" }, log);
      return;
    case "restoreStep":
      return annotate(ctx, run, "running", { step: event.data.step }, log);
    case "restoreProgress":
      await annotate(ctx, run, "running", { progressBytes: event.data.bytes }, log);
      return reportProgress(ctx, run, event.data, event.occurredAt);
    case "restoreCompleted":
      await transition(ctx, run, "completed", { finishedAt: ms(event.data.finishedAt), step: null }, log);
      return;
    case "restoreFailed": {
      // Where it stopped goes with the error, so the run view says it without the event log.
      const error = { ...event.data.error, details: { ...event.data.error.details, stage: event.data.stage } };
      await transition(ctx, run, "failed", { finishedAt: ms(event.data.finishedAt), step: null, error: JSON.stringify(error) }, log);
      return;
    }
    case "restoreCancelled":
      await transition(ctx, run, "cancelled", { finishedAt: ms(event.data.finishedAt), step: null, cancelReason: event.data.reason }, log);
      return;
    case "artifactExpired": {
      if (run.state !== "completed") return annotate(ctx, run, "completed", {}, log);
      const { db, t } = ctx.database;
      await db.update(t.runs).set({ artifactExpiredAt: ms(event.data.expiredAt) }).where(eq(t.runs.id, run.id));
      // A verified spool copy no longer needs the agent's; without one, the bytes are gone for good.
      if (await exists(spooledPath(ctx.env.spoolDir, run.id))) return;
      log.warn("artifact expired on the agent before the control plane held it");
      await failDeliveries(ctx, run.id, new HoldfastError("ARTIFACT_EXPIRED", "The agent's staged artifact expired before it was pulled", { runId: run.id }));
      return;
    }
  }
}
