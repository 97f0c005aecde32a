import {
  HoldfastError,
  maskNotificationSecrets,
  NOTIFICATION_SECRET_FIELDS,
  type NotificationChannelConfigs,
  type NotificationChannelType,
  type NotificationChannelView,
  type NotificationKind,
  type NotificationSeverity,
} from "@holdfast/shared";
import { eq } from "drizzle-orm";
import type { AppContext } from "../context.js";
import type { Tables } from "../db/index.js";
import type { SecretBox } from "../secrets/secret-box.js";

export type ChannelRow = Tables["notificationChannels"]["$inferSelect"];
export type ChannelConfig = NotificationChannelConfigs[NotificationChannelType];
export type ChannelContext = Pick<AppContext, "database" | "clock" | "secrets" | "env">;

/**
 * The two columns a config is stored in, as destinations do: `config` with each secret masked (the
 * plain column never carries one), `secrets` the secret fields sealed with the channel id as
 * associated data.
 */
export function sealChannelConfig(box: SecretBox, id: string, type: NotificationChannelType, config: ChannelConfig): { config: string; secrets: string | null } {
  const all = config as Record<string, unknown>;
  const secret: Record<string, unknown> = {};
  for (const field of NOTIFICATION_SECRET_FIELDS[type]) if (all[field] !== undefined) secret[field] = all[field];
  return {
    config: JSON.stringify(maskNotificationSecrets(type, all)),
    secrets: Object.keys(secret).length > 0 ? box.seal(JSON.stringify(secret), id) : null,
  };
}

/** The stored config with its secrets opened: for sending only, never for a route. */
export function openChannelConfig(box: SecretBox, row: ChannelRow): ChannelConfig {
  const config = JSON.parse(row.config) as Record<string, unknown>;
  const secret = row.secrets ? (JSON.parse(box.open(row.secrets, row.id)) as Record<string, unknown>) : {};
  return { ...config, ...secret } as ChannelConfig;
}

export function toChannelView(row: ChannelRow): NotificationChannelView {
  const type = row.type as NotificationChannelType;
  return {
    id: row.id,
    name: row.name,
    type,
    config: maskNotificationSecrets(type, JSON.parse(row.config) as Record<string, unknown>),
    events: JSON.parse(row.events) as NotificationKind[],
    minSeverity: row.minSeverity as NotificationSeverity,
    enabled: row.enabled,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

export async function findChannelRow(ctx: Pick<AppContext, "database">, id: string): Promise<ChannelRow> {
  const { db, t } = ctx.database;
  const row = (await db.select().from(t.notificationChannels).where(eq(t.notificationChannels.id, id)).limit(1))[0];
  if (!row) throw new HoldfastError("NOTIFICATION_CHANNEL_NOT_FOUND", `No notification channel ${id}`, { channelId: id });
  return row;
}
