import {
  DESTINATION_CONFIGS,
  DESTINATION_SECRET_FIELDS,
  type DestinationConfig,
  type DestinationType,
  parseOrThrow,
  REDACTED,
  type UpdateDestinationBody,
} from "@holdfast/shared";
import { eq } from "drizzle-orm";
import type { AppContext } from "../context.js";
import type { DestinationContext } from "./create-destination.js";
import { type DestinationView, findDestinationRow, fullConfig, makeOnlyDefault, sealConfig, toView } from "./destination-rows.js";
import { verifyDestination } from "./open-destination.js";

/**
 * The stored config with the changes applied: a secret omitted or sent as the mask keeps the stored
 * one (so a form filled from a GET can be sent back as is), `null` removes an optional field.
 */
export function mergeConfig(type: DestinationType, stored: DestinationConfig, changes: Record<string, unknown>): unknown {
  const merged: Record<string, unknown> = { ...stored };
  const secrets: readonly string[] = DESTINATION_SECRET_FIELDS[type];
  for (const [field, value] of Object.entries(changes)) {
    if (value === undefined || (value === REDACTED && secrets.includes(field))) continue;
    if (value === null) delete merged[field];
    else merged[field] = value;
  }
  return merged;
}

/**
 * Changes a destination's name, config, quota, bandwidth cap or default flag. A changed config is
 * verified against the live destination first, like a new one; when that fails nothing is changed.
 */
export async function updateDestination(ctx: DestinationContext & Pick<AppContext, "bandwidth">, id: string, body: UpdateDestinationBody): Promise<DestinationView> {
  const row = await findDestinationRow(ctx, id);
  const type = row.type as DestinationType;
  const set: Partial<typeof row> = {};
  if (body.name !== undefined) set.name = body.name;
  if (body.maxSizeGb !== undefined) set.maxSizeGb = body.maxSizeGb;
  if (body.transferCapMiBps !== undefined) set.transferCapMiBps = body.transferCapMiBps;
  if (body.config !== undefined) {
    const stored = fullConfig(ctx.secrets, row);
    const config = parseOrThrow(DESTINATION_CONFIGS[type], mergeConfig(type, stored, body.config), "destination config") as DestinationConfig;
    if (JSON.stringify(config) !== JSON.stringify(parseOrThrow(DESTINATION_CONFIGS[type], stored))) {
      const probe = await verifyDestination(type, config, ctx.env);
      Object.assign(set, sealConfig(ctx.secrets, id, type, config));
      // New credentials: what the probe found about deleting replaces what the old ones did.
      set.deleteDeniedAt = probe.canDelete ? null : ctx.clock.now().getTime();
    }
  }
  if (body.isDefault === false) set.isDefault = false;
  const { db, t } = ctx.database;
  if (Object.keys(set).length > 0) await db.update(t.destinations).set(set).where(eq(t.destinations.id, id));
  if (body.isDefault === true) await makeOnlyDefault(ctx, id);
  // Stored first: the deliveries writing to it here adopt the new cap from their next bytes.
  if (body.transferCapMiBps !== undefined) ctx.bandwidth.set(`destination:${id}`, body.transferCapMiBps);
  return toView(await findDestinationRow(ctx, id));
}
