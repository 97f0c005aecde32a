import cronstrue from "cronstrue";

/**
 * A schedule's cron in words (`At 03:00 AM, only on Sunday` → 24-hour `At 03:00, only on Sunday`),
 * or null when cronstrue cannot read it. Six fields are read with seconds first, as the control
 * plane's croner reads them.
 */
export function describeCron(cron: string): string | null {
  try {
    return cronstrue.toString(cron, { use24HourTimeFormat: true, throwExceptionOnParseError: true, verbose: false });
  } catch {
    return null;
  }
}
