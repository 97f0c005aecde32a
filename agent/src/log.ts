import { pino, type Logger } from "pino";

export type { Logger };

/**
 * Secret-bearing fields never reach a log line, whatever object they sit in: pino censors these paths
 * before serialising (wildcards cover one level of nesting, which is how the agent logs them).
 */
export const REDACT_PATHS = [
  "password",
  "*.password",
  "connection.password",
  "*.connection.password",
  "token",
  "*.token",
  "uploadToken",
  "*.uploadToken",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "payload.uploadToken",
  "payload.connection.password",
  // An age private key given for a restore (issue 5): never in a log line.
  "identity",
  "*.identity",
  "options.identity",
  "*.options.identity",
  "payload.options.identity",
];

/** JSON logs to stderr (stdout is reserved for command output such as the enrolled agentId). */
export function createLogger(
  level: string,
  bindings: Record<string, unknown> = {},
  destination: pino.DestinationStream = pino.destination({ fd: 2, sync: true }),
): Logger {
  return pino({ level, base: { ...bindings }, redact: { paths: REDACT_PATHS, censor: "[REDACTED]" } }, destination);
}

/** A logger that drops everything: the default for tests and library callers that pass none. */
export const silentLogger: Logger = pino({ level: "silent" });
