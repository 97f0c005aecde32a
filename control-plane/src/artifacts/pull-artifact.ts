import { rename, rm } from "node:fs/promises";
import { HoldfastError, sleep } from "@holdfast/shared";
import { and, eq, inArray } from "drizzle-orm";
import type { AppContext, ArtifactPuller } from "../context.js";
import { failDeliveries } from "../deliveries/fail-deliveries.js";
import { metrics } from "../metrics/process-series.js";
import { getRunRow, type RunRow } from "../runs/get-run.js";
import type { Logger } from "../logger.js";
import { comparableSize, EARLY_PULL_MARGIN } from "./comparable-size.js";
import { exists, partialPath, sha256File, sizeOrZero, spooledPath, syncDir } from "./spool.js";
import { createSpoolGate } from "./spool-gate.js";
import { releaseOwedStaging, releaseStaging } from "./release-staging.js";

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

  async function hasWaitingDeliveries(runId: string): Promise<boolean> {
    const { db, t } = ctx.database;
    const waiting = await db
      .select({ id: t.deliveries.id })
      .from(t.deliveries)
      .where(and(eq(t.deliveries.runId, runId), inArray(t.deliveries.state, ["pending", "running"])))
      .limit(1);
    return waiting[0] !== undefined;
  }

  /** A run that ended without an artifact: whatever an early pull received is no backup. */
  async function discardPartial(runId: string): Promise<void> {
    ctx.uploads.hashes.forget(runId);
    await rm(partialPath(ctx.env.spoolDir, runId), { force: true });
  }

  /**
   * The pull during staging (docs/link.md §8): while the run is running, the agent uploads its
   * staged file as it grows and ends the request once the file is committed. This only fills the
   * partial spool file: promotion waits for backupCompleted's size and hash, in `pull`. Runs with no
   * comparable predecessor (no size to reserve) and agents that cannot follow a growing file (404)
   * are pulled after staging instead. Returns when the run is no longer running or the upload of the
   * whole staged file arrived.
   */
  async function pullWhileStaging(run: RunRow, log: Logger): Promise<void> {
    const estimate = await comparableSize(ctx, run);
    if (estimate === null) return;
    let reservation = Math.ceil(estimate * (1 + EARLY_PULL_MARGIN));
    if (!(await gate.admit(run.id, reservation))) return;
    log.info({ reservation }, "pulling the artifact while the agent stages it");
    const partial = partialPath(ctx.env.spoolDir, run.id);
    let failures = 0;
    while (!closed && ctx.link.holdsLink(run.agentId) && (await getRunRow(ctx, run.id)).state === "running") {
      const offset = await sizeOrZero(partial);
      if (offset >= reservation) return;
      if (offset > 0) metrics.transferResumes.inc();
      const uploadToken = ctx.uploads.issue(run.id, run.agentId, reservation);
      const upload = ctx.uploads.waitForUpload(run.id, ctx.env.commandTimeoutMs);
      try {
        await ctx.link.sendCommand(run.agentId, "readArtifact", { runId: run.id, offset, uploadToken });
      } catch (err) {
        // Not staging yet, an older agent, the run just ended: after backupCompleted, as before.
        upload.cancel();
        log.info({ err: err instanceof HoldfastError ? err.code : (err as Error).message }, "no pull during staging; pulling after backupCompleted");
        return;
      }
      const end = await upload.done;
      // The whole staged file arrived: the rest waits for backupCompleted.
      if (end === "ended" && (await sizeOrZero(partial)) > offset) return;
      if (end === "full") {
        // The artifact outgrew its estimate, which is a hint (backupCompleted's size and hash are
        // the truth): reserve twice as much and go on at once, or, with no room, pull the rest after
        // backupCompleted. Not a failure: no backoff.
        const grown = reservation * 2;
        if (!(await gate.admit(run.id, grown))) return;
        log.info({ reservation: grown }, "the artifact outgrew its reservation; pulling on with a larger one");
        reservation = grown;
        continue;
      }
      failures += 1;
      log.warn({ end, offset, failures }, "upload during staging cut; resuming");
      if (failures >= 5) return;
      await sleep(ctx.clock, backoff(failures));
    }
  }

  async function pull(runId: string): Promise<void> {
    const run = await getRunRow(ctx, runId);
    if (run.kind === "backup" && ["failed", "cancelled", "expired"].includes(run.state)) return discardPartial(runId);
    const log = ctx.log.child({ runId, agentId: run.agentId });
    if (run.state === "running") {
      if (run.kind !== "backup" || !ctx.env.pullWhileStaging || !(await hasWaitingDeliveries(runId))) return;
      await pullWhileStaging(run, log);
      // The run's end kicks the puller again (queued behind this pull when it came meanwhile): the
      // spool copy is promoted, or the partial discarded, then and only then.
      return;
    }
    if (run.state !== "completed" || !run.sha256 || run.sizeBytes === null) return;
    if (!(await hasWaitingDeliveries(runId))) return;

    const partial = partialPath(ctx.env.spoolDir, runId);
    const spooled = spooledPath(ctx.env.spoolDir, runId);
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
      if (closed || !ctx.link.holdsLink(run.agentId)) return;
      const offset = await sizeOrZero(partial);
      if (offset >= run.sizeBytes) {
        // The hash kept while the bytes arrived, else (after a restart) one read of the file.
        const digest = offset === run.sizeBytes ? (ctx.uploads.hashes.digestAt(runId, offset) ?? (await sha256File(partial))) : null;
        ctx.uploads.hashes.forget(runId);
        if (digest === run.sha256) {
          await rename(partial, spooled);
          await syncDir(ctx.env.spoolDir);
          break;
        }
        // Never deliver from bad bytes (an early pull longer than the artifact included): start over.
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
        if (end !== "timeout" && (await sizeOrZero(partial)) > offset) {
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
    await releaseStaging(ctx, run.agentId, runId, log);
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
      releaseOwedStaging(ctx, agentId).catch((err: unknown) => ctx.log.error({ agentId, err }, "could not send the owed staging clean-ups"));
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
