import type { DestinationType } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import { findDestinationRow, fullConfig, recordDeletePermission } from "./destination-rows.js";
import { verifyDestination } from "./open-destination.js";
import type { ProbeResult } from "./types.js";

/**
 * `POST /destinations/:id/test`: the endpoint policy, Object Lock where asked, then a probe object
 * written, read back and deleted; whether the credentials may delete is recorded on the destination.
 */
export async function testDestination(ctx: Pick<AppContext, "database" | "secrets" | "env" | "clock">, id: string): Promise<ProbeResult> {
  const row = await findDestinationRow(ctx, id);
  const probe = await verifyDestination(row.type as DestinationType, fullConfig(ctx.secrets, row), ctx.env);
  await recordDeletePermission(ctx, id, probe.canDelete);
  return probe;
}
