import { type CreateNotificationChannelBody, newId, type NotificationChannelView } from "@holdfast/shared";
import { type ChannelContext, sealChannelConfig, toChannelView } from "./channel-rows.js";
import { checkTarget } from "./check-target.js";

/** Records a channel whose target passes the address policy; its secrets sealed, the view masked. */
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

