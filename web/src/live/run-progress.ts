import type { RecordedLiveEvent, RunState } from "@holdfast/shared";

/** How far a running run is, from its latest `run.progress` event. */
export interface RunProgress {
  /** `dump`, `compress`, `stage` (a backup), `download`, `restore` (a restore). */
  step: string;
  /** Bytes done so far in this step. */
  bytes: number;
  percent: number | null;
  bytesPerSecond: number | null;
  /** When the event was recorded (ISO). */
  at: string;
}

export interface ProgressState {
  /** The latest progress of each run still running. */
  running: ReadonlyMap<string, RunProgress>;
  /** Runs seen ending: a progress event arriving after the end (it may) is ignored. */
  ended: ReadonlySet<string>;
}

export const NO_PROGRESS: ProgressState = { running: new Map(), ended: new Set() };

const ENDED: ReadonlySet<RunState> = new Set(["completed", "failed", "cancelled", "expired", "missed"]);

/** The next progress state after an event; the same object when the event changes nothing (so React does not re-render). */
export function reduceProgress(state: ProgressState, event: RecordedLiveEvent): ProgressState {
  if (event.type === "run.progress") {
    if (state.ended.has(event.runId)) return state;
    const running = new Map(state.running);
    running.set(event.runId, { step: event.step, bytes: event.bytes, percent: event.percent, bytesPerSecond: event.bytesPerSecond, at: event.at });
    return { ...state, running };
  }
  if (event.type === "run.state" && ENDED.has(event.state)) {
    const running = new Map(state.running);
    running.delete(event.runId);
    const ended = new Set(state.ended);
    ended.add(event.runId);
    return { running, ended };
  }
  return state;
}

/**
 * Seconds left, when the agent knows the step's total (a percent) and its rate: the bytes still to
 * go at the current rate. Undefined when either is unknown (a dump's final size is not known ahead).
 */
export function etaSeconds(p: Pick<RunProgress, "bytes" | "percent" | "bytesPerSecond">): number | undefined {
  if (p.percent === null || p.bytesPerSecond === null || p.bytesPerSecond <= 0 || p.percent <= 0) return undefined;
  if (p.percent >= 100) return 0;
  const total = (p.bytes * 100) / p.percent;
  return Math.round((total - p.bytes) / p.bytesPerSecond);
}
