import { pino, type Logger } from "pino";

export type { Logger };

/** Fields that may hold a secret: pino replaces them wherever they appear one level deep. */
const REDACT = [
  "authorization",
  "token",
  "password",
  "uploadToken",
  "*.authorization",
  "*.token",
  "*.password",
  "*.uploadToken",
  "*.headers.authorization",
  "*.headers.cookie",
];

/** JSON lines on stderr, so stdout stays free for command results. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "holdfast-control-plane" }, redact: { paths: REDACT, censor: "[redacted]" } }, pino.destination(2));
}
