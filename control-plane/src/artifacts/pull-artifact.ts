import { rename, rm } from "node:fs/promises";
import { HoldfastError, sleep } from "@holdfast/shared";
import { and, eq, inArray } from "drizzle-orm";
import type { AppContext, ArtifactPuller } from "../context.js";
import { failDeliveries } from "../deliveries/fail-deliveries.js";
import { metrics } from "../metrics/process-series.js";
import { getRunRow } from "../runs/get-run.js";
import { exists, partialPath, sha256File, sizeOrZero, spooledPath, syncDir } from "./spool.js";
import { createSpoolGate } from "./spool-gate.js";

export interface PullerOptions {
  /** Whole-file hash mismatches before the deliveries fail with CHECKSUM_MISMATCH. */
  maxChecksumFailures?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Called once a run's spool copy is verified: its deliveries may start. */
  onSpooled?: (runId: string) => void;
}

export interface Puller extends ArtifactPuller {
  /** Kicks every run whose artifact still waits to be pulled or delivered (start-up). */
  resumeAll(): Promise<void>;
  /** Settles when no pull is running (tests, shutdown). */
  idle(): Promise<void>;
  /** Room was made in the spool: the pulls that waited for it go on. */
  spoolFreed(): void;
  close(): void;
}

/**
 * Pulls finished artifacts from agents into the spool (docs/link.md §8), one loop per run. A loop
 * that finds its agent offline simply ends: the agent's next helloAck resumes it, from the bytes
 * already held. A pull that would overfill the spool (HOLDFAST_SPOOL_MAX_GB) does not start: the run
 * stays completed, the agent keeps its staged copy, and the pull starts when a spool copy goes.
 */
export function createPuller(ctx: AppContext, opts: PullerOptions = {}): Puller {
  const maxMismatches = opts.maxChecksumFailures ?? 3;
  const base = opts.backoffBaseMs ?? 500;
  const cap = opts.backoffCapMs ?? 30_000;
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();
  const gate = createSpoolGate(ctx.env.spoolDir, ctx.env.spoolMaxBytes);
  const waitingForRoom = new Set<string>();
  let closed = false;

  const backoff = (failures: number) => Math.min(cap, base * 2 ** Math.min(failures - 1, 16));

  async function pull(runId: string): Promise<void> {
    const run = await getRunRow(ctx, runId);
    if (run.state !== "completed" || !run.sha256 || run.sizeBytes === null) return;
    const { db, t } = ctx.database;
    const waiting = await db
      .select({ id: t.deliveries.id })
      .from(t.deliveries)
      .where(and(eq(t.deliveries.runId, runId), inArray(t.deliveries.state, ["pending", "running"])))
      .limit(1);
    if (!waiting[0]) return;

    const partial = partialPath(ctx.env.spoolDir, runId);
    const spooled = spooledPath(ctx.env.spoolDir, runId);
    const log = ctx.log.child({ runId, agentId: run.agentId });
    let mismatches = 0;
    let failures = 0;

    if (!(await exists(spooled)) && !(await gate.admit(runId, run.sizeBytes))) {
      if (!waitingForRoom.has(runId)) log.info({ sizeBytes: run.sizeBytes }, "the spool is full; the pull waits for room");
      waitingForRoom.add(runId);
      return;
    }
    waitingForRoom.delete(runId);

    while (!(await exists(spooled))) {
      if ((await getRunRow(ctx, runId)).artifactExpiredAt !== null) {
        // artifactExpired arrived mid-pull: the rest of the bytes are gone on the agent.
        log.warn("artifact expired on the agent during the pull; giving up");
        await failDeliveries(ctx, runId, new HoldfastError("ARTIFACT_EXPIRED", "The agent's staged artifact expired before it was pulled", { runId }));
        await rm(partial, { force: true });
        return;
      }
      if (closed || !ctx.link.isOnline(run.agentId)) return;
      const offset = await sizeOrZero(partial);
      if (offset >= run.sizeBytes) {
        if (offset === run.sizeBytes && (await sha256File(partial)) === run.sha256) {
          await rename(partial, spooled);
          await syncDir(ctx.env.spoolDir);
          break;
        }
        // Never deliver from bad bytes: start over from nothing.
        await rm(partial, { force: true });
        mismatches += 1;
        log.warn({ mismatches }, "artifact failed its SHA-256 check; pulling it again");
        if (mismatches >= maxMismatches) {
          await failDeliveries(ctx, runId, new HoldfastError("CHECKSUM_MISMATCH", `The artifact failed its SHA-256 check ${mismatches} times`, { runId }));
          return;
        }
        continue;
      }

      if (offset > 0) metrics.transferResumes.inc();
      const uploadToken = ctx.uploads.issue(runId, run.agentId);
      const upload = ctx.uploads.waitForUpload(runId, ctx.env.commandTimeoutMs);
      try {
        await ctx.link.sendCommand(run.agentId, "readArtifact", { runId, offset, uploadToken });
        const end = await upload.done;
        if (end === "ended" && (await sizeOrZero(partial)) > offset) {
          failures = 0;
          continue;
        }
        log.warn({ end, offset }, "artifact upload brought no bytes");
      } catch (err) {
        upload.cancel();
        if (err instanceof HoldfastError && !err.retryable) {
          log.error({ code: err.code }, "the agent cannot serve the artifact");
          await failDeliveries(ctx, runId, err);
          return;
        }
        log.warn({ err: err instanceof HoldfastError ? err.code : (err as Error).message }, "readArtifact failed; retrying");
      }
      failures += 1;
      await sleep(ctx.clock, backoff(failures));
    }

    // The spool copy is verified: the agent's staging copy is no longer needed.
    await ctx.link
      .sendCommand(run.agentId, "cleanupStaging", { runId }, { idempotencyKey: `cleanup-${runId}` })
      .catch((err: unknown) => log.warn({ err: (err as Error).message }, "cleanupStaging failed; the agent's TTL removes the file"));
    opts.onSpooled?.(runId);
  }

  function kick(runId: string): void {
    if (closed) return;
    if (running.has(runId)) {
      again.add(runId);
      return;
    }
    const p = pull(runId)
      .catch((err: unknown) => ctx.log.error({ runId, err }, "artifact pull failed"))
      .finally(() => {
        running.delete(runId);
        // A pull that held room and ended (done, given up, agent gone) may leave room for a waiting one.
        if (gate.release(runId) && waitingForRoom.size > 0) self.spoolFreed();
        if (again.delete(runId)) kick(runId);
      });
    running.set(runId, p);
  }

  async function runsWaiting(agentId?: string): Promise<string[]> {
    const { db, t } = ctx.database;
    const rows = await db
      .selectDistinct({ runId: t.deliveries.runId })
      .from(t.deliveries)
      .innerJoin(t.runs, eq(t.runs.id, t.deliveries.runId))
      .where(
        and(
          inArray(t.deliveries.state, ["pending", "running"]),
          eq(t.runs.state, "completed"),
          agentId ? eq(t.runs.agentId, agentId) : undefined,
        ),
      );
    return rows.map((r) => r.runId);
  }

  const self: Puller = {
    kick,
    onAgentOnline(agentId) {
      runsWaiting(agentId).then(
        (ids) => ids.forEach(kick),
        (err: unknown) => ctx.log.error({ agentId, err }, "could not list pending pulls"),
      );
    },
    async resumeAll() {
      (await runsWaiting()).forEach(kick);
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running.values()]);
    },
    spoolFreed() {
      const waiting = [...waitingForRoom];
      waitingForRoom.clear();
      waiting.forEach(kick);
    },
    close() {
      closed = true;
    },
  };
  return self;
}
