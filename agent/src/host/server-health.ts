import type { CommandData } from "@holdfast/shared/protocol";
import type { RunContext } from "../runs/context.js";
import { probeStagingWritable } from "../runs/preflight.js";
import { freeBytesAt } from "./free-space.js";
import { countUnacked } from "../store/outbox.js";
import { findRunningRun, listQueuedRuns } from "../queue/queue-queries.js";
import { AGENT_VERSION } from "../version.js";

/** getServerHealth: `degraded` when staging cannot be written or the agent is shutting down. */
export async function getServerHealth(ctx: RunContext): Promise<CommandData<"getServerHealth">> {
  const [writable, free] = await Promise.all([probeStagingWritable(ctx.stagingRoot), freeBytesAt(ctx.stagingRoot)]);
  return {
    status: writable && !ctx.slot.stopping ? "ok" : "degraded",
    agentVersion: AGENT_VERSION,
    uptimeSeconds: Math.max(0, Math.floor((ctx.clock.now().getTime() - ctx.startedAt.getTime()) / 1000)),
    stagingDir: ctx.stagingRoot,
    stagingFreeBytes: free,
    runningRunId: findRunningRun(ctx.store)?.runId ?? null,
    queueLength: listQueuedRuns(ctx.store).length,
    unackedEvents: countUnacked(ctx.store),
  };
}
