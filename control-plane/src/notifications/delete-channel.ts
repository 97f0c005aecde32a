import { eq } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { findChannelRow } from "./channel-rows.js";

/** Removes a channel and its sends (their record means nothing without it). */
export async function deleteChannel(ctx: Pick<AppContext, "database">, id: string): Promise<void> {
  await findChannelRow(ctx, id);
  const { db, t } = ctx.database;
  await db.delete(t.notificationSends).where(eq(t.notificationSends.channelId, id));
  await db.delete(t.notificationChannels).where(eq(t.notificationChannels.id, id));
}

