import type { AppContext, ProgressFeed, ProgressReport } from "../context.js";
import { appendLiveEvent, isRunning } from "./feed.js";

type ProgressContext = Pick<AppContext, "database" | "clock" | "log">;

interface RunTrack {
  /** When the last progress event of the run was recorded (this process's clock). */
  recordedAt: number;
  /** The sample it carried, for the next one's rate. */
  last: { step: string; bytes: number; occurredAt: number };
  /** A sample that came too soon, recorded when the interval is over (the newest wins). */
  pending: ProgressReport | undefined;
  cancel: (() => void) | undefined;
}

/** A run's track is forgotten this long after its last progress. */
const FORGET_AFTER_MS = 10 * 60_000;

/**
 * Run progress for the live event feed, at most one event per run per `intervalMs`: the first
 * sample at once, the newest of those that came sooner when the interval is over. Agents already
 * send about one a second, but a reconnecting agent replays its backlog at once; the run view keeps
 * every sample's bytes anyway. `bytesPerSecond` is measured between recorded samples on the agent's
 * clock (the first: since the run started).
 */
export class RunProgressFeed implements ProgressFeed {
  private readonly runs = new Map<string, RunTrack>();

  constructor(
    private readonly ctx: ProgressContext,
    private readonly intervalMs = 1000,
  ) {}

  report(report: ProgressReport): void {
    const now = this.ctx.clock.now().getTime();
    this.forgetIdle(now);
    const track = this.runs.get(report.runId);
    if (!track || now - track.recordedAt >= this.intervalMs) {
      this.record(report, track, now);
      return;
    }
    track.pending = report;
    track.cancel ??= this.ctx.clock.setTimeout(() => {
      track.cancel = undefined;
      const pending = track.pending;
      if (pending) this.record(pending, track, this.ctx.clock.now().getTime());
    }, track.recordedAt + this.intervalMs - now);
  }

  /** Drops the samples still waiting (the server stops). */
  close(): void {
    for (const track of this.runs.values()) track.cancel?.();
    this.runs.clear();
  }

  private record(report: ProgressReport, track: RunTrack | undefined, now: number): void {
    const previous = track?.last ?? { step: report.step, bytes: 0, occurredAt: report.startedAt ?? report.occurredAt };
    const elapsedMs = report.occurredAt - previous.occurredAt;
    const bytesPerSecond =
      previous.step === report.step && report.bytes >= previous.bytes && elapsedMs > 0 ? Math.round(((report.bytes - previous.bytes) * 1000) / elapsedMs) : null;
    const last = { step: report.step, bytes: report.bytes, occurredAt: report.occurredAt };
    if (track) Object.assign(track, { recordedAt: now, last, pending: undefined });
    else this.runs.set(report.runId, { recordedAt: now, last, pending: undefined, cancel: undefined });
    void this.append(report, bytesPerSecond);
  }

  private async append(report: ProgressReport, bytesPerSecond: number | null): Promise<void> {
    try {
      // A sample recorded after the run's end would tell a client it runs again.
      if (!(await isRunning(this.ctx, report.runId))) return;
      const { runId, agentId, datasourceId, kind, step, bytes, percent } = report;
      await appendLiveEvent(this.ctx, { type: "run.progress", runId, agentId, datasourceId, kind, step, bytes, percent, bytesPerSecond });
    } catch (err) {
      this.ctx.log.warn({ err, runId: report.runId }, "could not record run progress for the live event feed");
    }
  }

  private forgetIdle(now: number): void {
    for (const [runId, track] of this.runs) {
      if (now - track.recordedAt > FORGET_AFTER_MS && !track.cancel) this.runs.delete(runId);
    }
  }
}
