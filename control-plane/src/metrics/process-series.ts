import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";

/**
 * The series this process counts as things happen (a run ending, bytes arriving, a credential
 * refused). Each replica counts its own, and Prometheus sums them; what the catalogue already knows
 * (runs, agents, deliveries, backup age) is read from it at scrape time instead (catalogue-series.ts),
 * so replicas agree. One registry per process: counters outlive a restart of the app in tests.
 */
export const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry, prefix: "holdfast_" });

const MINUTE = 60;
const GB = 1e9;

export const metrics = {
  /** Observed when the agent reports a run's end (runs/ingest-event.ts), from its start to its end. */
  runDuration: new Histogram({
    name: "holdfast_run_duration_seconds",
    help: "How long runs took, from start to end, by kind and final state",
    labelNames: ["kind", "state"] as const,
    buckets: [10, MINUTE, 5 * MINUTE, 15 * MINUTE, 60 * MINUTE, 3 * 60 * MINUTE, 6 * 60 * MINUTE, 24 * 60 * MINUTE],
    registers: [processRegistry],
  }),
  /** Observed when a backup completes: the artifact's size as the agent reported it. */
  runBytes: new Histogram({
    name: "holdfast_run_bytes",
    help: "Size of completed backup artifacts in bytes",
    labelNames: ["kind"] as const,
    buckets: [1e6, 1e7, 1e8, GB, 10 * GB, 100 * GB, 1000 * GB],
    registers: [processRegistry],
  }),
  transferBytes: new Counter({
    name: "holdfast_transfer_bytes_total",
    help: "Artifact bytes moved: from_agent (pulled into the spool), to_destination (delivered)",
    labelNames: ["direction"] as const,
    registers: [processRegistry],
  }),
  transferResumes: new Counter({
    name: "holdfast_transfer_resumes_total",
    help: "Artifact pulls resumed from an offset after a cut upload",
    registers: [processRegistry],
  }),
  refusedAuthentications: new Counter({
    name: "holdfast_refused_authentications_total",
    help: "Credentials refused, by kind (api-token, session, agent, metrics_token) and catalog code (INVALID_CREDENTIALS: a wrong password)",
    labelNames: ["credential", "code"] as const,
    registers: [processRegistry],
  }),
  /** Counted by each scrub check (scrub/scrub-pass.ts): ok, missing, altered or unreachable. */
  scrubFindings: new Counter({
    name: "holdfast_scrub_findings_total",
    help: "Stored copies checked by the scrub, by verdict (ok, missing, altered, unreachable)",
    labelNames: ["verdict"] as const,
    registers: [processRegistry],
  }),
  /** Counted when a notification attempt ends (notifications/send-worker.ts). */
  notificationSends: new Counter({
    name: "holdfast_notification_sends_total",
    help: "Notification attempts by channel type and outcome: sent, retrying (failed, tried again later), failed (given up)",
    labelNames: ["channel_type", "outcome"] as const,
    registers: [processRegistry],
  }),
};

/** A run reached a final state as its agent reported: its duration (when it had started) and, for a completed backup, its size. */
export function observeRunEnd(run: { kind: string; startedAt: number | null }, state: string, end: { finishedAt?: number | null | undefined; sizeBytes?: number | null | undefined }): void {
  if (run.startedAt !== null && typeof end.finishedAt === "number") metrics.runDuration.observe({ kind: run.kind, state }, Math.max(0, (end.finishedAt - run.startedAt) / 1000));
  if (state === "completed" && typeof end.sizeBytes === "number") metrics.runBytes.observe({ kind: run.kind }, end.sizeBytes);
}
