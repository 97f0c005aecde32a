import { type CreateDestinationBody, newId } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import { type DestinationView, makeOnlyDefault, sealConfig, toView } from "./destination-rows.js";
import { verifyDestination } from "./open-destination.js";

export type DestinationContext = Pick<AppContext, "database" | "clock" | "secrets" | "env">;

/**
 * Records a destination once it proved to work: the endpoint policy, Object Lock where asked, and a
 * probe object written, read back and deleted (or refused deletion: recorded, not fatal). A destination that refuses the credentials, cannot be reached or points
 * at a forbidden endpoint answers its 4xx/503 and nothing is stored.
 */
export async function createDestination(ctx: DestinationContext, body: CreateDestinationBody): Promise<DestinationView> {
  const probe = await verifyDestination(body.type, body.config, ctx.env);
  const id = newId("dst");
  const sealed = sealConfig(ctx.secrets, id, body.type, body.config);
  const { db, t } = ctx.database;
  const [row] = await db
    .insert(t.destinations)
    .values({
      id,
      name: body.name,
      type: body.type,
      ...sealed,
      isDefault: false,
      maxSizeGb: body.maxSizeGb ?? null,
      // Credentials that may write but not delete are accepted: Holdfast works with them, and says so.
      deleteDeniedAt: probe.canDelete ? null : ctx.clock.now().getTime(),
      transferCapMiBps: body.transferCapMiBps ?? null,
      createdAt: ctx.clock.now().getTime(),
    })
    .returning();
  if (body.isDefault) {
    await makeOnlyDefault(ctx, id);
    return { ...toView(row!), isDefault: true };
  }
  return toView(row!);
}
