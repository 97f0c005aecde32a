import { pino, type Logger, type LoggerOptions } from "pino";

export type { Logger };

/** Field names that may hold a secret, wherever they sit up to three levels deep in a log line. */
const SECRET_KEYS = ["authorization", "token", "password", "uploadToken", "cookie", "privateKey", "secretAccessKey", "identity", "masterKey"];

/** The redaction paths: each secret key at the top and under one, two or three levels of objects. */
export const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]);

/**
 * Logger options every control plane logger uses. Lines carry `requestId` (HTTP), `agentId` (link),
 * `runId` and `scheduleId` (runs) as child bindings where they apply.
 */
export function loggerOptions(level: string): LoggerOptions {
  return { level, base: { service: "holdfast-control-plane" }, redact: { paths: REDACT_PATHS, censor: "[redacted]" } };
}

/** JSON lines on stderr, so stdout stays free for command results. */
export function createLogger(level: string): Logger {
  return pino(loggerOptions(level), pino.destination(2));
}
