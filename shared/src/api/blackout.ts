import { z } from "zod";

/** Weekdays as blackout windows name them, Monday first (ISO 8601). */
export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export const Weekday = z.enum(WEEKDAYS);
export type Weekday = z.infer<typeof Weekday>;

const WallTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time HH:MM from 00:00 to 23:59");

/**
 * A time of the week when no scheduled backup starts, in the zone of what carries it (the schedule's
 * `timezone`, or the agent's). `from` > `to` crosses midnight: it ends the next day, and `days` name
 * the day it starts. `from` = `to` is refused (a zero-length window or a whole day? say which).
 * The window holds [from, to): a firing at `to` runs.
 */
export const BlackoutWindow = z
  .object({
    days: z.array(Weekday).min(1, "name at least one day the window starts on").max(7),
    from: WallTime,
    to: WallTime,
  })
  .strict()
  .refine((w) => w.from !== w.to, { message: "from and to are the same time: for a whole day, use 00:00-23:59 or two windows", path: ["to"] });
export type BlackoutWindow = z.infer<typeof BlackoutWindow>;

/** At most this many windows per schedule or agent. */
export const MAX_BLACKOUT_WINDOWS = 20;
export const BlackoutWindows = z.array(BlackoutWindow).max(MAX_BLACKOUT_WINDOWS);
export type BlackoutWindows = z.infer<typeof BlackoutWindows>;

/** What a scheduled firing inside a window does: run once when the window ends (`defer`), or not at all, recorded missed (`skip`). */
export const BlackoutMisfire = z.enum(["defer", "skip"]);
export type BlackoutMisfire = z.infer<typeof BlackoutMisfire>;
export const DEFAULT_BLACKOUT_MISFIRE: BlackoutMisfire = "defer";

/** One window as text, as the CLI and query strings carry it: `mon,tue 01:00-05:00`. */
export function formatBlackoutWindow(w: BlackoutWindow): string {
  return `${w.days.join(",")} ${w.from}-${w.to}`;
}

/**
 * Reads `mon,tue 01:00-05:00` (days, a space, from-to) into a window, checked by BlackoutWindow.
 * Throws an Error saying what is wrong, for the caller to report on its own field.
 */
export function parseBlackoutWindow(text: string): BlackoutWindow {
  const m = /^\s*([a-z,\s]+?)\s+(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$/i.exec(text);
  if (!m) throw new Error(`"${text}" is not a window such as "mon,tue 01:00-05:00"`);
  const pad = (t: string) => t.padStart(5, "0");
  const parsed = BlackoutWindow.safeParse({
    days: m[1]!.toLowerCase().split(/[\s,]+/).filter(Boolean),
    from: pad(m[2]!),
    to: pad(m[3]!),
  });
  if (!parsed.success) throw new Error(`"${text}": ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  return parsed.data;
}

/** Windows in a query string: `mon,tue 01:00-05:00;sat 22:00-02:00`. */
export const BlackoutWindowsText = z.string().transform((text, ctx) => {
  const parts = text.split(";").filter((p) => p.trim() !== "");
  try {
    return BlackoutWindows.parse(parts.map(parseBlackoutWindow));
  } catch (err) {
    ctx.addIssue({ code: "custom", message: err instanceof z.ZodError ? err.issues.map((i) => i.message).join("; ") : (err as Error).message });
    return z.NEVER;
  }
});
