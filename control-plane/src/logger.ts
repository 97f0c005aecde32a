import { LOG_REDACTION } from "@holdfast/shared";
import { pino, type Logger, type LoggerOptions } from "pino";

export type { Logger };

/**
 * Logger options every control plane logger uses. Lines carry `requestId` (HTTP), `agentId` (link),
 * `runId` and `scheduleId` (runs) as child bindings where they apply.
 */
export function loggerOptions(level: string): LoggerOptions {
  return { level, base: { service: "holdfast-control-plane" }, redact: LOG_REDACTION };
}

/** JSON lines on stderr, so stdout stays free for command results. */
export function createLogger(level: string): Logger {
  return pino(loggerOptions(level), pino.destination(2));
}
