import type { DestinationType } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import { findDestinationRow, fullConfig } from "./destination-rows.js";
import { verifyDestination } from "./open-destination.js";
import type { ProbeResult } from "./types.js";

/** `POST /destinations/:id/test`: the endpoint policy, then a probe object written, read back and deleted. */
export async function testDestination(ctx: Pick<AppContext, "database" | "secrets" | "env">, id: string): Promise<ProbeResult> {
  const row = await findDestinationRow(ctx, id);
  return verifyDestination(row.type as DestinationType, fullConfig(ctx.secrets, row), ctx.env);
}
