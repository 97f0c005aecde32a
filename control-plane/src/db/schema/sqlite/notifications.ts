// SQLite tables: notification channels, sends and conditions. Mirrored column for column by ../pg/notifications.ts (see ../../README.md).
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Where alerts go (notifications/): `config` holds the channel's settings with each secret masked,
 * `secrets` the secret fields sealed under the master key with the id as associated data; `events`
 * is the JSON list of subscribed kinds.
 */
export const notificationChannels = sqliteTable("notification_channels", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  type: text("type").notNull(),
  config: text("config").notNull(),
  secrets: text("secrets"),
  events: text("events").notNull(),
  minSeverity: text("min_severity").notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** One notification to one channel, tried by the notification worker with backoff until sent or failed. */
export const notificationSends = sqliteTable(
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
    nextAttemptAt: integer("next_attempt_at"),
    error: text("error"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("notification_sends_state_idx").on(t.state, t.nextAttemptAt), index("notification_sends_created_at_idx").on(t.createdAt)],
);

/**
 * The problems (`conditionKey`): a repeated alert of an open one is collapsed until a recovery closes
 * it (`closedAt`); a closed row is kept to show as a recent alert and reopened in place.
 */
export const notificationConditions = sqliteTable("notification_conditions", {
  conditionKey: text("condition_key").primaryKey(),
  kind: text("kind").notNull(),
  openedAt: integer("opened_at").notNull(),
  lastSeenAt: integer("last_seen_at").notNull(),
  /** Alerts of this condition collapsed since it opened. */
  repeats: integer("repeats").notNull().default(0),
  severity: text("severity").notNull().default("warning"),
  /** What it is about (JSON NotificationSubject: datasource, agent, destination or run id). */
  subject: text("subject").notNull().default("{}"),
  /** The title of its latest alert. */
  title: text("title").notNull().default(""),
  closedAt: integer("closed_at"),
});
