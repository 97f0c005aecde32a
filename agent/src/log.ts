import { LOG_REDACTION } from "@holdfast/shared/protocol";
import { pino, type Logger } from "pino";

export type { Logger };

/** JSON logs to stderr (stdout is reserved for command output such as the enrolled agentId). */
export function createLogger(
  level: string,
  bindings: Record<string, unknown> = {},
  destination: pino.DestinationStream = pino.destination({ fd: 2, sync: true }),
): Logger {
  return pino({ level, base: { ...bindings }, redact: LOG_REDACTION }, destination);
}

/** A logger that drops everything: the default for tests and library callers that pass none. */
export const silentLogger: Logger = pino({ level: "silent" });
