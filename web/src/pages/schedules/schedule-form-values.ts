import { type BackupOptions, type BlackoutMisfire, type BlackoutWindow, Codec, CreateScheduleBody, DEFAULT_BLACKOUT_MISFIRE, type UpdateScheduleBody } from "@holdfast/shared";
import type { z } from "zod";
import { viewerTimeZone } from "../../format/time.js";
import { countsOf, type RetentionCounts } from "./retention-fields.js";
import type { DestinationItem, ScheduleItem } from "./schedules-query.js";

/** The form's values: the create body's fields, with the two options the form offers pulled out. */
export interface ScheduleFormValues {
  datasourceId: string;
  name: string;
  cron: string;
  timezone: string;
  destinationIds: string[];
  /** "" is the engine's default format. */
  format: string;
  codec: Codec;
  /** A whole server's databases (patterns); empty: all of them. */
  databases: { include: string[]; exclude: string[] };
  verify: boolean;
  paused: boolean;
  retention: RetentionCounts;
  /** Times no firing starts, in `timezone`. */
  blackout: BlackoutWindow[];
  blackoutMisfire: BlackoutMisfire;
  /** The options the form does not show (set through the API), kept as they are. */
  otherOptions: BackupOptions;
}

export function newScheduleValues(destinations: DestinationItem[]): ScheduleFormValues {
  return {
    datasourceId: "",
    name: "",
    cron: "0 3 * * *",
    timezone: viewerTimeZone(),
    destinationIds: destinations.filter((d) => d.isDefault).map((d) => d.id),
    format: "",
    codec: "gzip",
    databases: { include: [], exclude: [] },
    verify: false,
    paused: false,
    retention: countsOf({ keepDaily: 7, keepWeekly: 4, keepMonthly: 6 }),
    blackout: [],
    blackoutMisfire: DEFAULT_BLACKOUT_MISFIRE,
    otherOptions: {},
  };
}

export function valuesOf(s: ScheduleItem): ScheduleFormValues {
  const { format, compression, databases, ...otherOptions } = s.options ?? {};
  return {
    datasourceId: s.datasourceId,
    name: s.name,
    cron: s.cron,
    timezone: s.timezone,
    destinationIds: s.destinationIds,
    format: format ?? "",
    codec: compression?.codec ?? "gzip",
    databases: { include: databases?.include ?? [], exclude: databases?.exclude ?? [] },
    verify: s.verify,
    paused: s.paused,
    retention: countsOf(s.retention),
    blackout: s.blackout,
    blackoutMisfire: s.blackoutMisfire,
    otherOptions: compression?.level !== undefined ? { ...otherOptions, compression } : otherOptions,
  };
}

function optionsOf(v: ScheduleFormValues): BackupOptions {
  const { compression: kept, ...rest } = v.otherOptions;
  // A level set through the API stays while its codec does; gzip without one is the default, not written.
  const level = kept?.codec === v.codec ? kept.level : undefined;
  return {
    ...rest,
    ...(v.format ? { format: v.format as BackupOptions["format"] } : {}),
    ...(v.databases.include.length + v.databases.exclude.length > 0
      ? { databases: { ...(v.databases.include.length ? { include: v.databases.include } : {}), ...(v.databases.exclude.length ? { exclude: v.databases.exclude } : {}) } }
      : {}),
    ...(v.codec !== "gzip" || level !== undefined ? { compression: { codec: v.codec, ...(level !== undefined ? { level } : {}) } } : {}),
  };
}

/** `POST /schedules`. */
export function createBodyOf(v: ScheduleFormValues): z.input<typeof CreateScheduleBody> {
  const options = optionsOf(v);
  return {
    datasourceId: v.datasourceId,
    ...(v.name.trim() ? { name: v.name.trim() } : {}),
    cron: v.cron,
    timezone: v.timezone,
    destinationIds: v.destinationIds,
    ...(Object.keys(options).length > 0 ? { options } : {}),
    retention: v.retention,
    verify: v.verify,
    paused: v.paused,
    blackout: v.blackout,
    blackoutMisfire: v.blackoutMisfire,
  };
}

/** `PATCH /schedules/:id`: every field the form shows, so an option set back to its default is cleared. */
export function updateBodyOf(v: ScheduleFormValues): UpdateScheduleBody {
  const { datasourceId: _ds, paused: _paused, name, ...rest } = createBodyOf(v);
  return { ...rest, ...(name ? { name } : {}), options: optionsOf(v) } as UpdateScheduleBody;
}

const FIELD_OF: Record<string, string> = {
  "options.format": "format",
  "options.compression": "codec",
  "options.compression.codec": "codec",
  options: "format",
  "options.databases.include": "databases.include",
  "options.databases.exclude": "databases.exclude",
};

/** The create body's schema, checked as the user types; each issue on the form field it concerns. */
export function validateSchedule(v: ScheduleFormValues): Record<string, string> {
  const result = CreateScheduleBody.safeParse(createBodyOf(v));
  const errors: Record<string, string> = {};
  if (!v.datasourceId) errors.datasourceId = "Choose the datasource to back up";
  if (result.success) return errors;
  for (const issue of result.error.issues) {
    const path = issue.path.join(".").replace(/^(options\.databases\.(?:include|exclude))\.\d+$/, "$1");
    const row = /^blackout\.(\d+)/.exec(path);
    const field = row ? `blackout.${row[1]}` : (FIELD_OF[path] ?? (path.startsWith("retention") ? path : (path.split(".")[0] ?? path)));
    if (!errors[field]) errors[field] = issue.message;
  }
  if (errors.destinationIds) errors.destinationIds = "Choose at least one destination";
  return errors;
}

export const CODECS = Codec.options;
