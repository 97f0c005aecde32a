import type { RunProgressEvent } from "@holdfast/shared";
import { SingleBar } from "cli-progress";
import prettyBytes from "pretty-bytes";
import { say } from "../remote/output.js";
import { type FollowView, RUN_ENDED, type RunAnswer } from "./follow-run.js";

/** Piped output: at most one progress line this often (state and step changes are always printed). */
const PLAIN_PROGRESS_EVERY_MS = 5_000;
const BAR_WIDTH = 30;

export const bytesText = (bytes: number) => prettyBytes(bytes, { maximumFractionDigits: 1 });

/** What one progress line says: step, bytes, rate, and when the total is known, percent and ETA. */
export interface ProgressFigures {
  step: string;
  bytes: number;
  percent: number | null;
  bytesPerSecond: number | null;
}

/** Seconds left at the current rate, when the percent says how much is left; null otherwise. */
export function etaSeconds(f: ProgressFigures): number | null {
  if (f.percent === null || f.percent <= 0 || !f.bytesPerSecond) return null;
  const remaining = (f.bytes * (100 - f.percent)) / f.percent;
  return Math.round(remaining / f.bytesPerSecond);
}

const durationText = (s: number) => (s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`);

/** `dump  12.3 MB  3.1 MB/s  42%  ETA 5s`: the figures a bar or a log line carries. */
export function figuresText(f: ProgressFigures): string {
  const eta = etaSeconds(f);
  return [
    f.step,
    bytesText(f.bytes),
    f.bytesPerSecond === null ? null : `${bytesText(f.bytesPerSecond)}/s`,
    f.percent === null ? null : `${Math.floor(f.percent)}%`,
    eta === null ? null : `ETA ${durationText(eta)}`,
  ]
    .filter((s) => s !== null)
    .join("  ");
}

function barText(percent: number | null): string {
  if (percent === null) return "";
  const done = Math.round((Math.min(100, percent) / 100) * BAR_WIDTH);
  return `[${"█".repeat(done)}${"░".repeat(BAR_WIDTH - done)}] `;
}

/**
 * Follows on a terminal with one redrawn bar on stderr (cli-progress), or when piped with plain
 * lines: one per state or step change, and at most one progress line every few seconds, so a log
 * file stays readable.
 */
export function progressView(runId: string, tty = process.stderr.isTTY === true): FollowView {
  let state: string | undefined;
  let figures: ProgressFigures | undefined;
  let lastPlain = 0;
  let ended = false;
  const deliveryStates = new Map<string, string>();
  const bar = tty
    ? new SingleBar({
        stream: process.stderr,
        hideCursor: true,
        clearOnComplete: false,
        fps: 5,
        format: () => `${barText(figures?.percent ?? null)}${figures ? figuresText(figures) : "starting"}`,
      })
    : undefined;
  let barStarted = false;

  const show = (f: ProgressFigures) => {
    const stepChanged = figures?.step !== f.step;
    figures = f;
    if (bar) {
      if (!barStarted) {
        bar.start(100, f.percent ?? 0);
        barStarted = true;
      } else bar.update(f.percent ?? 0);
      return;
    }
    const now = Date.now();
    if (stepChanged || now - lastPlain >= PLAIN_PROGRESS_EVERY_MS) {
      lastPlain = now;
      say(`run ${runId}: ${figuresText(f)}`);
    }
  };
  const stopBar = () => {
    if (bar && barStarted) {
      bar.stop();
      barStarted = false;
    }
  };

  return {
    run(run: RunAnswer) {
      if (ended) return;
      if (run.state !== state) {
        state = run.state;
        if (!["running"].includes(run.state)) stopBar();
        // The end is the outcome's to say (reportOutcome); on a terminal the bar shows "running".
        if (!RUN_ENDED.has(run.state) && (!bar || run.state !== "running")) say(`run ${runId}: ${run.state}`);
      }
      // Polled figures keep the view moving when the live feed is not there.
      if (run.state === "running" && run.step !== null && (figures === undefined || figures.step !== run.step || (run.progressBytes ?? 0) > figures.bytes)) {
        show({ step: run.step, bytes: run.progressBytes ?? figures?.bytes ?? 0, percent: null, bytesPerSecond: figures?.step === run.step ? figures.bytesPerSecond : null });
      }
      for (const d of run.deliveries) {
        if (deliveryStates.get(d.destinationId) === d.state) continue;
        deliveryStates.set(d.destinationId, d.state);
        // A log follows each delivery; a terminal gets them all in the outcome's summary.
        if (run.state === "completed" && !bar) say(`run ${runId}: delivery to ${d.destinationId}: ${d.state}`);
      }
    },
    progress(event: RunProgressEvent) {
      if (ended || (state !== undefined && state !== "running" && state !== "queued")) return;
      show({ step: event.step, bytes: event.bytes, percent: event.percent, bytesPerSecond: event.bytesPerSecond });
    },
    end() {
      ended = true;
      stopBar();
    },
  };
}

/** A byte transfer (a download) shown as the bar on a terminal, or a line every few seconds when piped. */
export function showTransfer(label: string, meter: import("../transfer/byte-meter.js").ByteMeter, tty = process.stderr.isTTY === true): void {
  const figures = (): ProgressFigures => ({ step: label, bytes: meter.bytes, percent: meter.percent, bytesPerSecond: meter.bytesPerSecond });
  if (tty) {
    const bar = new SingleBar({ stream: process.stderr, hideCursor: true, clearOnComplete: false, fps: 5, format: () => `${barText(meter.percent)}${figuresText(figures())}` });
    bar.start(meter.total, meter.bytes);
    let stopped = false;
    meter.onChange(() => {
      if (stopped) return;
      bar.update(meter.bytes);
      if (meter.bytes >= meter.total) {
        stopped = true;
        bar.stop();
      }
    });
    return;
  }
  let last = 0;
  let finished = false;
  meter.onChange(() => {
    const now = Date.now();
    // The last byte is shown once, however many changes report it.
    if (finished || (now - last < PLAIN_PROGRESS_EVERY_MS && meter.bytes < meter.total)) return;
    last = now;
    finished = meter.bytes >= meter.total;
    say(figuresText(figures()));
  });
}
