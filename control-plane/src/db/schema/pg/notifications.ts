// PostgreSQL tables: notification channels, sends and conditions. Mirrored column for column by ../sqlite/notifications.ts (see ../../README.md).
import { bigint, boolean, index, integer, pgTable, text } from "drizzle-orm/pg-core";

/**
 * Where alerts go (notifications/): `config` holds the channel's settings with each secret masked,
 * `secrets` the secret fields sealed under the master key with the id as associated data; `events`
 * is the JSON list of subscribed kinds.
 */
export const notificationChannels = pgTable("notification_channels", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  type: text("type").notNull(),
  config: text("config").notNull(),
  secrets: text("secrets"),
  events: text("events").notNull(),
  minSeverity: text("min_severity").notNull(),
  enabled: boolean("enabled").notNull().default(true),
  createdAt: bigint("created_at", { mode: "number" }).notNull(),
  updatedAt: bigint("updated_at", { mode: "number" }).notNull(),
});

/** One notification to one channel, tried by the notification worker with backoff until sent or failed. */
export const notificationSends = pgTable(
  "notification_sends",
  {
    id: text("id").primaryKey(),
    channelId: text("channel_id").notNull(),
    kind: text("kind").notNull(),
    severity: text("severity").notNull(),
    conditionKey: text("condition_key").notNull(),
    /** The message (JSON: title, text, url, subject), rendered per channel type at send time. */
    message: text("message").notNull(),
    state: text("state").notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: bigint("next_attempt_at", { mode: "number" }),
    error: text("error"),
    createdAt: bigint("created_at", { mode: "number" }).notNull(),
    updatedAt: bigint("updated_at", { mode: "number" }).notNull(),
  },
  (t) => [index("notification_sends_state_idx").on(t.state, t.nextAttemptAt), index("notification_sends_created_at_idx").on(t.createdAt)],
);

/**
 * The problems (`conditionKey`): a repeated alert of an open one is collapsed until a recovery closes
 * it (`closedAt`); a closed row is kept to show as a recent alert and reopened in place.
 */
export const notificationConditions = pgTable("notification_conditions", {
  conditionKey: text("condition_key").primaryKey(),
  kind: text("kind").notNull(),
  openedAt: bigint("opened_at", { mode: "number" }).notNull(),
  lastSeenAt: bigint("last_seen_at", { mode: "number" }).notNull(),
  /** Alerts of this condition collapsed since it opened. */
  repeats: integer("repeats").notNull().default(0),
  severity: text("severity").notNull().default("warning"),
  /** What it is about (JSON NotificationSubject: datasource, agent, destination or run id). */
  subject: text("subject").notNull().default("{}"),
  /** The title of its latest alert. */
  title: text("title").notNull().default(""),
  closedAt: bigint("closed_at", { mode: "number" }),
});
