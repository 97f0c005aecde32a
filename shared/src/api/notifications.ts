import { z } from "zod";
import { ErrorBody } from "../errors.js";
import { REDACTED } from "../protocol/datasource.js";
import { refusedEndpointName } from "./endpoint-policy.js";

/**
 * Notifications: channels (where alerts go), what each one subscribes to, and the record of each
 * send. The control plane's `notifications/` module sends them; the console draws its forms from
 * these schemas.
 */

/** How bad an event is; a channel receives the events at or above its `minSeverity`. */
export const NotificationSeverity = z.enum(["info", "warning", "critical"], {
  error: (issue) => `unknown severity ${JSON.stringify(issue.input)}: must be info, warning or critical`,
});
export type NotificationSeverity = z.infer<typeof NotificationSeverity>;

export const SEVERITY_RANK: Record<NotificationSeverity, number> = { info: 0, warning: 1, critical: 2 };

/**
 * What a notification is about. A problem opens a condition (its `conditionKey`) and later alerts of
 * the same open condition are collapsed; `recovers` names the problem a recovery closes, and a
 * recovery `afterAlertOnly` is sent only when it closed an open condition ("agent back" after an
 * "agent offline", never after a mere reconnect).
 */
export const NOTIFICATION_KINDS = {
  "backup.failed": { label: "Backup failed", severity: "critical", defaultOn: true },
  "backup.succeeded": { label: "Backup succeeded", severity: "info", defaultOn: false, recovers: "backup.failed" },
  "backup.missed": { label: "Backup missed", severity: "critical", defaultOn: true },
  "delivery.failed": { label: "Delivery failed", severity: "critical", defaultOn: true },
  "drill.failed": { label: "Restore drill failed", severity: "critical", defaultOn: true },
  "artifact.damaged": { label: "Artifact missing or altered", severity: "critical", defaultOn: true },
  "agent.offline": { label: "Agent offline", severity: "warning", defaultOn: true },
  "agent.back": { label: "Agent back online", severity: "info", defaultOn: true, recovers: "agent.offline", afterAlertOnly: true },
  "datasource.unhealthy": { label: "Datasource unhealthy", severity: "warning", defaultOn: true },
  "datasource.recovered": { label: "Datasource recovered", severity: "info", defaultOn: true, recovers: "datasource.unhealthy", afterAlertOnly: true },
  "destination.unreachable": { label: "Destination unreachable", severity: "warning", defaultOn: true },
  "destination.nearlyFull": { label: "Destination nearly full", severity: "warning", defaultOn: true },
  "backup.onTime": { label: "Backups on time again", severity: "info", defaultOn: true, recovers: "backup.missed", afterAlertOnly: true },
  // Closes either destination problem (its condition key says which); sent only after an alert of it.
  "destination.recovered": { label: "Destination recovered", severity: "info", defaultOn: true, recovers: "destination.unreachable", afterAlertOnly: true },
} as const satisfies Record<string, { label: string; severity: NotificationSeverity; defaultOn: boolean; recovers?: string; afterAlertOnly?: boolean }>;

export type NotificationKind = keyof typeof NOTIFICATION_KINDS;
const KIND_NAMES = Object.keys(NOTIFICATION_KINDS) as [NotificationKind, ...NotificationKind[]];

export const NotificationKind = z.enum(KIND_NAMES, {
  error: (issue) => `unknown event kind ${JSON.stringify(issue.input)}`,
});

/** The kinds a new channel subscribes to unless told otherwise ("backup succeeded" is off: it is noise). */
export const DEFAULT_NOTIFICATION_KINDS = KIND_NAMES.filter((k) => NOTIFICATION_KINDS[k].defaultOn);

/** A stored secret must be a real one: the mask copied back from a GET is refused. */
const secret = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((s) => s !== REDACTED, "must be the secret itself, not the mask");

/** An http(s) URL whose name is not a cloud metadata service (addresses are checked by the control plane). */
const httpUrl = z
  .string()
  .max(2048)
  .refine((s) => URL.canParse(s) && /^https?:$/.test(new URL(s).protocol), "must be an http(s) URL")
  .refine((s) => !URL.canParse(s) || refusedEndpointName(new URL(s).hostname) === null, "must not be a cloud metadata service");

/** A chat service's incoming-webhook URL: the URL itself is the credential, so it is a secret. */
const secretUrl = httpUrl.refine((s) => s !== REDACTED, "must be the URL itself, not the mask");

export const WebhookChannelConfig = z
  .object({
    url: httpUrl,
    /** Signs each body (HMAC-SHA256, `Holdfast-Signature`); at least 16 characters. */
    secret: secret(512).refine((s) => s.length >= 16, "must be at least 16 characters"),
  })
  .strict();

const hostName = z
  .string()
  .min(1)
  .max(255)
  .refine((s) => !/[\s/\u0000-\u001f\u007f]/.test(s) && !s.startsWith("-"), "must be a host name or address")
  .refine((s) => refusedEndpointName(s) === null, "must not be a cloud metadata service");
const emailAddress = z.email().max(320);

export const EmailChannelConfig = z
  .object({
    host: hostName,
    port: z.number().int().min(1).max(65535).default(587),
    /** `starttls` (587: upgrade required), `tls` (465: TLS from the first byte), `none` (a local relay only). */
    security: z.enum(["starttls", "tls", "none"]).default("starttls"),
    username: z.string().min(1).max(320).optional(),
    password: secret(1024).optional(),
    from: emailAddress,
    to: z.array(emailAddress).min(1).max(50),
    /** Off only for a relay with a self-signed certificate on a network you trust. */
    verifyCertificate: z.boolean().default(true),
  })
  .strict()
  .refine((c) => c.password === undefined || c.username !== undefined, { message: "a password needs a username", path: ["username"] });

export const SlackChannelConfig = z.object({ webhookUrl: secretUrl }).strict();
export const DiscordChannelConfig = z.object({ webhookUrl: secretUrl }).strict();
/** A Teams "Workflows" (Power Automate) incoming-webhook URL, which takes an Adaptive Card. */
export const TeamsChannelConfig = z.object({ webhookUrl: secretUrl }).strict();
export const TelegramChannelConfig = z
  .object({
    botToken: secret(256).refine((s) => /^\d+:[A-Za-z0-9_-]+$/.test(s), "must be a bot token such as 123456:ABC-…"),
    chatId: z.string().min(1).max(64).regex(/^(-?\d+|@[A-Za-z0-9_]{5,})$/, "must be a chat id (-100…) or @channelname"),
    /** Another Bot API server (a self-hosted one); Telegram's own by default. */
    apiUrl: httpUrl.default("https://api.telegram.org"),
  })
  .strict();
export const NtfyChannelConfig = z
  .object({
    serverUrl: httpUrl.default("https://ntfy.sh"),
    topic: z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, "must be a topic name (letters, digits, - and _)"),
    /** An access token (`tk_…`) for a protected topic. */
    accessToken: secret(256).optional(),
  })
  .strict();

export const NotificationChannelType = z.enum(["webhook", "email", "slack", "discord", "teams", "telegram", "ntfy"]);
export type NotificationChannelType = z.infer<typeof NotificationChannelType>;

/** The config schema of each channel type. */
export const NOTIFICATION_CHANNEL_CONFIGS = {
  webhook: WebhookChannelConfig,
  email: EmailChannelConfig,
  slack: SlackChannelConfig,
  discord: DiscordChannelConfig,
  teams: TeamsChannelConfig,
  telegram: TelegramChannelConfig,
  ntfy: NtfyChannelConfig,
} as const;
export type NotificationChannelConfigs = { [K in NotificationChannelType]: z.infer<(typeof NOTIFICATION_CHANNEL_CONFIGS)[K]> };

/** The config fields that are secrets: sealed at rest, answered as the mask, never logged. */
export const NOTIFICATION_SECRET_FIELDS = {
  webhook: ["secret"],
  email: ["password"],
  slack: ["webhookUrl"],
  discord: ["webhookUrl"],
  teams: ["webhookUrl"],
  telegram: ["botToken"],
  ntfy: ["accessToken"],
} as const satisfies Record<NotificationChannelType, readonly string[]>;

/** The config as any route may show it: every secret present replaced by the fixed mask. */
export function maskNotificationSecrets(type: NotificationChannelType, config: Record<string, unknown>): Record<string, unknown> {
  const masked = { ...config };
  for (const field of NOTIFICATION_SECRET_FIELDS[type]) if (masked[field] !== undefined) masked[field] = REDACTED;
  return masked;
}

const subscription = {
  name: z.string().min(1).max(200),
  /** The event kinds this channel receives. */
  events: z.array(NotificationKind).max(KIND_NAMES.length).default(DEFAULT_NOTIFICATION_KINDS),
  minSeverity: NotificationSeverity.default("info"),
  enabled: z.boolean().default(true),
};

export const CreateNotificationChannelBody = z.discriminatedUnion("type", [
  z.object({ ...subscription, type: z.literal("webhook"), config: WebhookChannelConfig }).strict(),
  z.object({ ...subscription, type: z.literal("email"), config: EmailChannelConfig }).strict(),
  z.object({ ...subscription, type: z.literal("slack"), config: SlackChannelConfig }).strict(),
  z.object({ ...subscription, type: z.literal("discord"), config: DiscordChannelConfig }).strict(),
  z.object({ ...subscription, type: z.literal("teams"), config: TeamsChannelConfig }).strict(),
  z.object({ ...subscription, type: z.literal("telegram"), config: TelegramChannelConfig }).strict(),
  z.object({ ...subscription, type: z.literal("ntfy"), config: NtfyChannelConfig }).strict(),
]);
export type CreateNotificationChannelBody = z.infer<typeof CreateNotificationChannelBody>;

/**
 * `PATCH /notification-channels/:id`: `config` is merged field by field over the stored one and the
 * whole validated; a secret omitted or sent as the mask keeps the stored one, `null` removes an
 * optional field. The type never changes.
 */
export const UpdateNotificationChannelBody = z
  .object({
    name: subscription.name.optional(),
    events: z.array(NotificationKind).max(KIND_NAMES.length).optional(),
    minSeverity: NotificationSeverity.optional(),
    enabled: z.boolean().optional(),
    config: z.record(z.string(), z.unknown()).optional(),
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, "must change at least one field");
export type UpdateNotificationChannelBody = z.infer<typeof UpdateNotificationChannelBody>;

export const NotificationChannelView = z.object({
  id: z.string(),
  name: z.string(),
  type: NotificationChannelType,
  /** Secrets replaced by the mask. */
  config: z.record(z.string(), z.unknown()),
  events: z.array(NotificationKind),
  minSeverity: NotificationSeverity,
  enabled: z.boolean(),
  createdAt: z.iso.datetime({ offset: true }),
});
export type NotificationChannelView = z.infer<typeof NotificationChannelView>;

/** `POST /notification-channels/:id/test`: whether the remote accepted the test message, and its reason when not. */
export const NotificationTestResult = z.object({ ok: z.boolean(), error: ErrorBody.optional() });
export type NotificationTestResult = z.infer<typeof NotificationTestResult>;

export const NotificationSendState = z.enum(["pending", "sending", "sent", "failed"]);
export type NotificationSendState = z.infer<typeof NotificationSendState>;

export const NotificationSendView = z.object({
  id: z.string(),
  channelId: z.string(),
  kind: NotificationKind,
  severity: NotificationSeverity,
  title: z.string(),
  state: NotificationSendState,
  attempts: z.number().int(),
  error: ErrorBody.nullable(),
  createdAt: z.iso.datetime({ offset: true }),
  /** When it was delivered, or last tried. */
  updatedAt: z.iso.datetime({ offset: true }),
});
export type NotificationSendView = z.infer<typeof NotificationSendView>;

export const ListNotificationSendsQuery = z
  .object({
    channelId: z.string().min(1).max(64).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();
export type ListNotificationSendsQuery = z.infer<typeof ListNotificationSendsQuery>;

/** What an alert is about, with the object's name where it still exists. */
export const AlertSubject = z.object({
  type: z.enum(["datasource", "agent", "destination", "run"]),
  id: z.string(),
  name: z.string().nullable(),
});
export type AlertSubject = z.infer<typeof AlertSubject>;

/** `GET /alerts`: one problem (open, or closed by its recovery) and how long it has lasted. */
export const AlertView = z.object({
  conditionKey: z.string(),
  kind: NotificationKind,
  label: z.string(),
  severity: NotificationSeverity,
  subject: AlertSubject.nullable(),
  /** The title of its latest alert. */
  title: z.string(),
  openedAt: z.iso.datetime({ offset: true }),
  lastSeenAt: z.iso.datetime({ offset: true }),
  /** Alerts of it collapsed since it opened. */
  repeats: z.number().int(),
  closedAt: z.iso.datetime({ offset: true }).nullable(),
});
export type AlertView = z.infer<typeof AlertView>;

/** The open alerts, worst and oldest first, and those closed in the last `ALERTS_CLOSED_WINDOW_DAYS`, newest first. */
export const AlertList = z.object({ open: z.array(AlertView), recentlyClosed: z.array(AlertView) });
export type AlertList = z.infer<typeof AlertList>;

export const ALERTS_CLOSED_WINDOW_DAYS = 7;
