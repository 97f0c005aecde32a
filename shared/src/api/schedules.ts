import { z } from "zod";
import { Id } from "../ids.js";
import { BackupOptions } from "../protocol/backup-options.js";
import { BlackoutMisfire, BlackoutWindows, BlackoutWindowsText } from "./blackout.js";

const Count = z.number().int().min(0).max(10_000);

/**
 * GFS counts as restic's `forget` reads them: keep the newest good backup of each of the last N
 * days / ISO weeks / months / years that have one. 0 or absent switches a rule off; a policy with
 * every rule off keeps everything, so a blank form can never delete all backups.
 * `manualRetentionDays`: manual backups stay outside GFS and go once older than this; 0 or absent
 * keeps them until deleted.
 */
export const RetentionPolicy = z
  .object({
    keepLast: Count.optional(),
    keepDaily: Count.optional(),
    keepWeekly: Count.optional(),
    keepMonthly: Count.optional(),
    keepYearly: Count.optional(),
    manualRetentionDays: Count.optional(),
  })
  .strict();
export type RetentionPolicy = z.infer<typeof RetentionPolicy>;

/** What a schedule does after a retryable failure: `attempts` extra runs, `backoffMinutes` apart. */
export const RetrySettings = z
  .object({ attempts: z.number().int().min(0).max(10).optional(), backoffMinutes: z.number().int().min(1).max(1440).optional() })
  .strict();
export type RetrySettings = z.infer<typeof RetrySettings>;

/** Issue 7: two extra attempts, five minutes apart. */
export const DEFAULT_RETRY = { attempts: 2, backoffMinutes: 5 } as const;

/**
 * `POST /api/v1/schedules`. `cron` and `timezone` are only shaped here: shared has no cron parser,
 * so the control plane checks them with croner and answers VALIDATION_FAILED naming the field.
 */
export const CreateScheduleBody = z
  .object({
    datasourceId: Id,
    name: z.string().min(1).max(200).optional(),
    cron: z.string().trim().min(1).max(200),
    timezone: z.string().min(1).max(64),
    destinationIds: z.array(Id).min(1).max(20),
    options: BackupOptions.optional(),
    retention: RetentionPolicy.optional(),
    /** Run a restore drill after each backup. */
    verify: z.boolean().optional(),
    paused: z.boolean().optional(),
    retry: RetrySettings.optional(),
    /** Times no firing starts, in `timezone`; the agent's windows apply too (blackout.ts). */
    blackout: BlackoutWindows.optional(),
    /** A firing inside a window: run at its end (`defer`, the default) or record it missed (`skip`). */
    blackoutMisfire: BlackoutMisfire.optional(),
  })
  .strict();
export type CreateScheduleBody = z.infer<typeof CreateScheduleBody>;

/**
 * `PATCH /api/v1/schedules/:id`: any field of the create body but `datasourceId`. Retention groups
 * backups by schedule; a schedule moved to another database would let GFS weigh one database's
 * backups against another's and delete the only copies of the first. Create a new schedule instead.
 */
export const UpdateScheduleBody = CreateScheduleBody.omit({ datasourceId: true }).partial().strict();
export type UpdateScheduleBody = z.infer<typeof UpdateScheduleBody>;

/** How many firings `GET /api/v1/schedules/:id/next` lists: 5 unless asked, at most 100. */
export const NEXT_FIRINGS = { default: 5, max: 100 } as const;

/** `GET /api/v1/schedules/:id/next?count=5`. */
export const NextFiringsQuery = z
  .object({ count: z.coerce.number().int().min(1).max(NEXT_FIRINGS.max).default(NEXT_FIRINGS.default) })
  .strict();
export type NextFiringsQuery = z.infer<typeof NextFiringsQuery>;

/**
 * `GET /api/v1/schedules/preview?cron=…&timezone=…&count=5`: the next firings of a cron not saved
 * yet (a schedule form as it is typed), checked and computed as the scheduler would.
 */
export const CronPreviewQuery = z
  .object({
    cron: CreateScheduleBody.shape.cron,
    timezone: CreateScheduleBody.shape.timezone,
    count: NextFiringsQuery.shape.count,
    /** Draft windows as text, `mon,tue 01:00-05:00;sat 22:00-02:00`: the preview skips or defers around them. */
    blackout: BlackoutWindowsText.optional(),
    blackoutMisfire: BlackoutMisfire.optional(),
    /** The agent whose windows apply too (the form's datasource's agent). */
    agentId: Id.optional(),
  })
  .strict();
export type CronPreviewQuery = z.infer<typeof CronPreviewQuery>;

/** A retention count as a query string carries it (`?keepDaily=7`). */
const CountParam = z.coerce.number().pipe(Count).optional();

/**
 * `GET /api/v1/schedules/:id/retention/preview`: without counts, what the schedule's stored policy
 * would keep and delete; with any, what this draft policy would (a rule left out is off), on the
 * same backups; `timezone` reads the calendar in another zone than the schedule's. A form previews
 * its edits this way before saving. The keys are RetentionPolicy's, checked by the `satisfies` below.
 */
export const RetentionPreviewQuery = z
  .object({
    keepLast: CountParam,
    keepDaily: CountParam,
    keepWeekly: CountParam,
    keepMonthly: CountParam,
    keepYearly: CountParam,
    manualRetentionDays: CountParam,
    timezone: CreateScheduleBody.shape.timezone.optional(),
  } satisfies Record<keyof RetentionPolicy | "timezone", z.ZodType>)
  .strict();
export type RetentionPreviewQuery = z.infer<typeof RetentionPreviewQuery>;

/** The draft policy a retention preview query carries, or undefined when it carries none (the stored one applies). */
export function draftPolicyOf(query: RetentionPreviewQuery): RetentionPolicy | undefined {
  const { timezone: _zone, ...counts } = query;
  const given = Object.entries(counts).filter(([, v]) => v !== undefined);
  return given.length === 0 ? undefined : (Object.fromEntries(given) as RetentionPolicy);
}
