import {
  DESTINATION_SECRET_FIELDS,
  type DestinationConfig,
  type DestinationType,
  HoldfastError,
  maskDestinationSecrets,
} from "@holdfast/shared";
import { and, eq, isNotNull, isNull, ne } from "drizzle-orm";
import type { AppContext } from "../context.js";
import type { Tables } from "../db/index.js";
import type { SecretBox } from "../secrets/secret-box.js";

export type DestinationRow = Tables["destinations"]["$inferSelect"];

/** A destination as every route shows it: secrets replaced by the fixed mask. */
export interface DestinationView {
  id: string;
  name: string;
  type: DestinationType;
  config: Record<string, unknown>;
  isDefault: boolean;
  /** Quota in GB (10^9 bytes), or null for none. */
  maxSizeGb: number | null;
  /**
   * Since when its credentials may not delete (a probe or retention was refused a delete); null
   * while they may. Retention then keeps what it would delete, recorded on each delivery.
   */
  deleteDeniedAt: string | null;
  /** The cap on what is written to it, MiB/s, or null for none. */
  transferCapMiBps: number | null;
  createdAt: string;
}

/**
 * The two columns a config is stored in: `config` holds it with each secret already masked (so the
 * plain column never carries one), `secrets` the secret fields sealed under the master key with
 * the destination id as associated data.
 */
export function sealConfig(box: SecretBox, id: string, type: DestinationType, config: DestinationConfig): { config: string; secrets: string | null } {
  const all = config as Record<string, unknown>;
  const secret: Record<string, unknown> = {};
  for (const field of DESTINATION_SECRET_FIELDS[type]) if (all[field] !== undefined) secret[field] = all[field];
  return {
    config: JSON.stringify(maskDestinationSecrets(type, all)),
    secrets: Object.keys(secret).length > 0 ? box.seal(JSON.stringify(secret), id) : null,
  };
}

/** The stored config with its secrets decrypted: for the destination code only, never for a route. */
export function fullConfig(box: SecretBox, row: DestinationRow): DestinationConfig {
  const config = JSON.parse(row.config) as Record<string, unknown>;
  const secret = row.secrets ? (JSON.parse(box.open(row.secrets, row.id)) as Record<string, unknown>) : {};
  return { ...config, ...secret } as DestinationConfig;
}

export function toView(row: DestinationRow): DestinationView {
  const type = row.type as DestinationType;
  return {
    id: row.id,
    name: row.name,
    type,
    // Masked again on the way out: a row written before secrets were split still shows none.
    config: maskDestinationSecrets(type, JSON.parse(row.config) as Record<string, unknown>),
    isDefault: row.isDefault,
    maxSizeGb: row.maxSizeGb ?? null,
    deleteDeniedAt: row.deleteDeniedAt === null ? null : new Date(row.deleteDeniedAt).toISOString(),
    transferCapMiBps: row.transferCapMiBps ?? null,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

/** The live (not deleted) destination row, or DESTINATION_NOT_FOUND. */
export async function findDestinationRow(ctx: Pick<AppContext, "database">, id: string): Promise<DestinationRow> {
  const { db, t } = ctx.database;
  const row = (await db.select().from(t.destinations).where(and(eq(t.destinations.id, id), isNull(t.destinations.deletedAt))).limit(1))[0];
  if (!row) throw new HoldfastError("DESTINATION_NOT_FOUND", `No destination ${id}`, { destinationIds: [id] });
  return row;
}

/** Makes `id` the only default destination (two statements: the newest default wins a race). */
export async function makeOnlyDefault(ctx: Pick<AppContext, "database">, id: string): Promise<void> {
  const { db, t } = ctx.database;
  await db.update(t.destinations).set({ isDefault: true }).where(eq(t.destinations.id, id));
  await db
    .update(t.destinations)
    .set({ isDefault: false })
    .where(and(eq(t.destinations.isDefault, true), ne(t.destinations.id, id)));
}

/**
 * Records whether the destination's credentials may delete, as a probe or a delete just found: the
 * first refusal's time is kept while they stay refused, a delete that worked clears it.
 */
export async function recordDeletePermission(ctx: Pick<AppContext, "database" | "clock">, id: string, canDelete: boolean): Promise<void> {
  const { db, t } = ctx.database;
  const d = t.destinations;
  if (canDelete) await db.update(d).set({ deleteDeniedAt: null }).where(and(eq(d.id, id), isNotNull(d.deleteDeniedAt)));
  else await db.update(d).set({ deleteDeniedAt: ctx.clock.now().getTime() }).where(and(eq(d.id, id), isNull(d.deleteDeniedAt)));
}
