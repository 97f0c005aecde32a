import { asc, isNull } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { type DestinationView, findDestinationRow, toView } from "./destination-rows.js";

export async function listDestinations(ctx: Pick<AppContext, "database">): Promise<DestinationView[]> {
  const { db, t } = ctx.database;
  const rows = await db.select().from(t.destinations).where(isNull(t.destinations.deletedAt)).orderBy(asc(t.destinations.createdAt), asc(t.destinations.id));
  return rows.map(toView);
}

/** The destination with its secrets masked, or DESTINATION_NOT_FOUND. */
export async function getDestination(ctx: Pick<AppContext, "database">, id: string): Promise<DestinationView> {
  return toView(await findDestinationRow(ctx, id));
}
