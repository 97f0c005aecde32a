import { z } from "zod";

/**
 * Health checks: a datasource is checked through its agent every few minutes, a destination probed;
 * each check is one result, kept as history, and a status is read from the recent ones.
 */

/** One check's outcome. */
export const HealthResult = z.enum(["ok", "timeout", "auth_failed", "unreachable", "error"]);
export type HealthResult = z.infer<typeof HealthResult>;

/** From the recent results: the last one ok → healthy, 1–2 failures in a row → warning, 3 or more → critical, none yet → unknown. */
export const HealthStatus = z.enum(["healthy", "warning", "critical", "unknown"]);
export type HealthStatus = z.infer<typeof HealthStatus>;

/** Failures in a row that make a subject critical and raise its alert. */
export const HEALTH_FAILURES_TO_ALERT = 3;

/** The status the newest results (newest first) give. */
export function healthStatusOf(newestFirst: readonly { result: HealthResult }[]): HealthStatus {
  if (newestFirst.length === 0) return "unknown";
  const failures = consecutiveFailures(newestFirst);
  if (failures === 0) return "healthy";
  return failures >= HEALTH_FAILURES_TO_ALERT ? "critical" : "warning";
}

/** Failures before the newest success (newest first). */
export function consecutiveFailures(newestFirst: readonly { result: HealthResult }[]): number {
  const i = newestFirst.findIndex((c) => c.result === "ok");
  return i === -1 ? newestFirst.length : i;
}

/**
 * The catalog's codes read as results: the server refused the credentials, could not be reached (or
 * the agent that reaches it is not connected), or did not answer within the check's bound; anything
 * else (a missing database, TLS, a tool) is `error` with its code kept.
 */
export function healthResultOf(code: string): Exclude<HealthResult, "ok"> {
  switch (code) {
    case "DATABASE_AUTH_FAILED":
    case "DESTINATION_AUTH_FAILED":
      return "auth_failed";
    case "DATABASE_UNREACHABLE":
    case "DESTINATION_UNREACHABLE":
    case "AGENT_OFFLINE":
    case "AGENT_REVOKED":
      return "unreachable";
    case "AGENT_TIMEOUT":
      return "timeout";
    default:
      return "error";
  }
}

const isoTime = z.iso.datetime({ offset: true });

/** One recorded check, as `GET /datasources/:id/health` lists it. */
export const HealthCheckView = z.object({
  checkedAt: isoTime,
  result: HealthResult,
  latencyMs: z.number().nullable(),
  serverVersion: z.string().nullable(),
  /** The database's size for a datasource; null where the engine cannot say cheaply. */
  sizeBytes: z.number().nullable(),
  /** A destination's free bytes, where it can tell. */
  freeBytes: z.number().nullable(),
  /** The catalog's code and the message of a failed check. */
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type HealthCheckView = z.infer<typeof HealthCheckView>;

/** A subject's health in a list: its status and its newest check. */
export const HealthSummary = z.object({ status: HealthStatus, lastCheck: HealthCheckView.nullable() });
export type HealthSummary = z.infer<typeof HealthSummary>;

/** `GET /datasources/:id/health`: status, the interval in force, and the recent checks, newest first. */
export const DatasourceHealthAnswer = HealthSummary.extend({
  /** Minutes between checks; 0: the control plane's checks are off. */
  intervalMinutes: z.number(),
  consecutiveFailures: z.number().int(),
  checks: z.array(HealthCheckView),
});
export type DatasourceHealthAnswer = z.infer<typeof DatasourceHealthAnswer>;

/** `?limit=`: how many recent checks (default 20, at most 200). */
export const HealthHistoryQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }).strict();

/** A datasource's own interval in minutes (null: the control plane's default). */
export const HealthIntervalMinutes = z.number().int().min(1).max(1440).nullable();
