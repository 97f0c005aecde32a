import { CreateDestinationBody, HoldfastError, newId, parseOrThrow } from "@holdfast/shared";
import { asc, eq } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { localDestination } from "./local.js";
import type { Destination } from "./types.js";

export interface DestinationView {
  id: string;
  name: string;
  type: "local";
  config: { path: string };
}

function toView(row: { id: string; name: string; type: string; config: string }): DestinationView {
  return { id: row.id, name: row.name, type: row.type as "local", config: JSON.parse(row.config) as { path: string } };
}

/** Records a destination. Only `local` exists so far; its config holds no secret. */
export async function createDestination(ctx: DbContext, input: unknown): Promise<DestinationView> {
  const body = parseOrThrow(CreateDestinationBody, input, "destination");
  const view: DestinationView = { id: newId("dst"), name: body.name, type: body.type, config: body.config };
  const { db, t } = ctx.database;
  await db.insert(t.destinations).values({ ...view, config: JSON.stringify(view.config), createdAt: ctx.clock.now().getTime() });
  return view;
}

export async function listDestinations(ctx: DbContext): Promise<DestinationView[]> {
  const { db, t } = ctx.database;
  return (await db.select().from(t.destinations).orderBy(asc(t.destinations.createdAt), asc(t.destinations.id))).map(toView);
}

/** The destination, or DESTINATION_NOT_FOUND. */
export async function getDestination(ctx: DbContext, id: string): Promise<DestinationView> {
  const { db, t } = ctx.database;
  const row = (await db.select().from(t.destinations).where(eq(t.destinations.id, id)).limit(1))[0];
  if (!row) throw new HoldfastError("DESTINATION_NOT_FOUND", `No destination ${id}`, { destinationIds: [id] });
  return toView(row);
}

/** The writer for a recorded destination. */
export function openDestination(view: DestinationView): Destination {
  return localDestination(view.config);
}
