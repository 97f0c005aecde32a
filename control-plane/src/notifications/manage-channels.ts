import {
  type CreateNotificationChannelBody,
  NOTIFICATION_CHANNEL_CONFIGS,
  NOTIFICATION_SECRET_FIELDS,
  type NotificationChannelType,
  type NotificationChannelView,
  newId,
  parseOrThrow,
  REDACTED,
  type UpdateNotificationChannelBody,
} from "@holdfast/shared";
import { asc, eq } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { assertTargetAllowed } from "./address-guard.js";
import { type ChannelConfig, type ChannelContext, type ChannelRow, findChannelRow, openChannelConfig, sealChannelConfig, toChannelView } from "./channel-rows.js";
import { targetHostOf } from "./channels/index.js";

/** The target's address policy, before anything is stored: a refused channel is 422 and nothing is kept. */
const checkTarget = (ctx: ChannelContext, type: NotificationChannelType, config: ChannelConfig) =>
  assertTargetAllowed(targetHostOf(type, config as Record<string, unknown>), ctx.env.notifyStrictAddresses);

export async function createChannel(ctx: ChannelContext, body: CreateNotificationChannelBody): Promise<NotificationChannelView> {
  await checkTarget(ctx, body.type, body.config);
  const id = newId("ntc");
  const now = ctx.clock.now().getTime();
  const { db, t } = ctx.database;
  const [row] = await db
    .insert(t.notificationChannels)
    .values({ id, name: body.name, type: body.type, ...sealChannelConfig(ctx.secrets, id, body.type, body.config), events: JSON.stringify(body.events), minSeverity: body.minSeverity, enabled: body.enabled, createdAt: now, updatedAt: now })
    .returning();
  return toChannelView(row!);
}

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

/** Removes a channel and its sends (their record means nothing without it). */
export async function deleteChannel(ctx: Pick<AppContext, "database">, id: string): Promise<void> {
  await findChannelRow(ctx, id);
  const { db, t } = ctx.database;
  await db.delete(t.notificationSends).where(eq(t.notificationSends.channelId, id));
  await db.delete(t.notificationChannels).where(eq(t.notificationChannels.id, id));
}

export async function listChannels(ctx: Pick<AppContext, "database">): Promise<NotificationChannelView[]> {
  const { db, t } = ctx.database;
  return (await db.select().from(t.notificationChannels).orderBy(asc(t.notificationChannels.name))).map(toChannelView);
}

export async function getChannel(ctx: Pick<AppContext, "database">, id: string): Promise<NotificationChannelView> {
  return toChannelView(await findChannelRow(ctx, id));
}
