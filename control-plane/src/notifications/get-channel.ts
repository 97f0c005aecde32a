import type { NotificationChannelView } from "@holdfast/shared";
import { asc } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { findChannelRow, toChannelView } from "./channel-rows.js";

export async function listChannels(ctx: Pick<AppContext, "database">): Promise<NotificationChannelView[]> {
  const { db, t } = ctx.database;
  return (await db.select().from(t.notificationChannels).orderBy(asc(t.notificationChannels.name))).map(toChannelView);
}

export async function getChannel(ctx: Pick<AppContext, "database">, id: string): Promise<NotificationChannelView> {
  return toChannelView(await findChannelRow(ctx, id));
}
