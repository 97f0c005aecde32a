/**
 * The schedule form's presets, each a plain five-field cron: what the form sends is always a cron,
 * and a cron typed by hand that matches a preset opens as that preset.
 */
export type CronPreset =
  | { kind: "hourly"; minute: number }
  | { kind: "daily"; time: string }
  | { kind: "weekly"; weekday: number; time: string }
  | { kind: "custom"; cron: string };

export type PresetKind = CronPreset["kind"];

/** cron's weekday numbers, Sunday 0, in the order a week is read. */
export const WEEKDAYS = [
  { value: 1, label: "Monday" },
  { value: 2, label: "Tuesday" },
  { value: 3, label: "Wednesday" },
  { value: 4, label: "Thursday" },
  { value: 5, label: "Friday" },
  { value: 6, label: "Saturday" },
  { value: 0, label: "Sunday" },
] as const;

const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** `HH:MM` (24-hour) as [hour, minute], or null. */
export function parseTime(time: string): [number, number] | null {
  const m = TIME.exec(time);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** The cron of a preset; a daily or weekly one with a time that is not `HH:MM` gives null. */
export function cronOf(preset: CronPreset): string | null {
  switch (preset.kind) {
    case "hourly":
      return Number.isInteger(preset.minute) && preset.minute >= 0 && preset.minute <= 59 ? `${preset.minute} * * * *` : null;
    case "daily": {
      const t = parseTime(preset.time);
      return t ? `${t[1]} ${t[0]} * * *` : null;
    }
    case "weekly": {
      const t = parseTime(preset.time);
      return t ? `${t[1]} ${t[0]} * * ${preset.weekday}` : null;
    }
    case "custom":
      return preset.cron;
  }
}

const NUMBER = /^\d{1,2}$/;

/** The preset a cron is, or `custom` holding it as typed. */
export function presetOf(cron: string): CronPreset {
  const fields = cron.trim().split(/\s+/);
  if (fields.length === 5 && fields[2] === "*" && fields[3] === "*") {
    const [minute, hour, , , weekday] = fields as [string, string, string, string, string];
    const m = NUMBER.test(minute) ? Number(minute) : -1;
    const h = NUMBER.test(hour) ? Number(hour) : -1;
    if (m >= 0 && m <= 59) {
      if (hour === "*" && weekday === "*") return { kind: "hourly", minute: m };
      if (h >= 0 && h <= 23) {
        const time = `${pad(h)}:${pad(m)}`;
        if (weekday === "*") return { kind: "daily", time };
        if (/^[0-7]$/.test(weekday)) return { kind: "weekly", weekday: Number(weekday) % 7, time };
      }
    }
  }
  return { kind: "custom", cron };
}

/** The preset of another kind, carrying over what it can (the time of day, the cron as it is). */
export function switchPreset(from: CronPreset, kind: PresetKind): CronPreset {
  const time = from.kind === "daily" || from.kind === "weekly" ? from.time : "03:00";
  switch (kind) {
    case "hourly":
      return { kind, minute: from.kind === "hourly" ? from.minute : (parseTime(time)?.[1] ?? 0) };
    case "daily":
      return { kind, time };
    case "weekly":
      return { kind, weekday: from.kind === "weekly" ? from.weekday : 1, time };
    case "custom":
      return { kind, cron: cronOf(from) ?? "0 3 * * *" };
  }
}
