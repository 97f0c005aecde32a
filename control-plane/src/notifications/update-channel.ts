import {
  NOTIFICATION_CHANNEL_CONFIGS,
  NOTIFICATION_SECRET_FIELDS,
  type NotificationChannelType,
  type NotificationChannelView,
  parseOrThrow,
  REDACTED,
  type UpdateNotificationChannelBody,
} from "@holdfast/shared";
import { eq } from "drizzle-orm";
import { type ChannelConfig, type ChannelContext, type ChannelRow, findChannelRow, openChannelConfig, sealChannelConfig, toChannelView } from "./channel-rows.js";
import { checkTarget } from "./check-target.js";

/**
 * Changes a channel. Its config is merged over the stored one (a secret omitted or sent as the mask
 * keeps the stored one, `null` removes an optional field), validated whole and checked against the
 * address policy again; when that fails nothing changes.
 */
export async function updateChannel(ctx: ChannelContext, id: string, body: UpdateNotificationChannelBody): Promise<NotificationChannelView> {
  const row = await findChannelRow(ctx, id);
  const type = row.type as NotificationChannelType;
  const set: Partial<ChannelRow> = { updatedAt: ctx.clock.now().getTime() };
  if (body.name !== undefined) set.name = body.name;
  if (body.events !== undefined) set.events = JSON.stringify(body.events);
  if (body.minSeverity !== undefined) set.minSeverity = body.minSeverity;
  if (body.enabled !== undefined) set.enabled = body.enabled;
  if (body.config !== undefined) {
    const merged: Record<string, unknown> = { ...openChannelConfig(ctx.secrets, row) };
    const secrets: readonly string[] = NOTIFICATION_SECRET_FIELDS[type];
    for (const [field, value] of Object.entries(body.config)) {
      if (value === undefined || (value === REDACTED && secrets.includes(field))) continue;
      if (value === null) delete merged[field];
      else merged[field] = value;
    }
    const config = parseOrThrow(NOTIFICATION_CHANNEL_CONFIGS[type], merged, "channel config") as ChannelConfig;
    await checkTarget(ctx, type, config);
    Object.assign(set, sealChannelConfig(ctx.secrets, id, type, config));
  }
  const { db, t } = ctx.database;
  await db.update(t.notificationChannels).set(set).where(eq(t.notificationChannels.id, id));
  return toChannelView(await findChannelRow(ctx, id));
}

