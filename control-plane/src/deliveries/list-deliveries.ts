import type { DeliveryState, ErrorBody } from "@holdfast/shared";
import { asc, eq } from "drizzle-orm";
import type { DbContext } from "../context.js";
import { getRunRow } from "../runs/get-run.js";

/** One delivery as `GET /runs/:id/deliveries` shows it. */
export interface DeliveryView {
  id: string;
  destinationId: string;
  destinationName: string | null;
  state: DeliveryState;
  /** Tries started so far. */
  attempts: number;
  /** Where the artifact landed (for a split one, the name its `.partNNNN` objects hang off). */
  path: string | null;
  bytes: number | null;
  /** How long the last try took. */
  durationMs: number | null;
  /** The last failed try's error while retrying, or why it gave up; null once delivered. */
  error: ErrorBody | null;
  /** A failed try waits until then (pending); null when nothing waits. */
  nextAttemptAt: string | null;
  startedAt: string | null;
  /** Retention deleted the objects then, for `deletionReason`. */
  deletedAt: string | null;
  deletionReason: string | null;
  /** A scrub found the stored copy `damage` (missing or altered) then; null while it is whole. */
  damagedAt: string | null;
  damage: "missing" | "altered" | null;
  /** S3 Object Lock holds the copy's objects until then: nothing deletes them before. */
  lockedUntil: string | null;
  /** Why retention's last pass kept a copy its policy would delete ("locked until …", "kept: the credentials cannot delete"). */
  retentionNote: string | null;
  updatedAt: string;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export async function listRunDeliveries(ctx: DbContext, runId: string): Promise<DeliveryView[]> {
  await getRunRow(ctx, runId);
  const { db, t } = ctx.database;
  const rows = await db
    .select({ d: t.deliveries, name: t.destinations.name })
    .from(t.deliveries)
    .leftJoin(t.destinations, eq(t.destinations.id, t.deliveries.destinationId))
    .where(eq(t.deliveries.runId, runId))
    .orderBy(asc(t.deliveries.id));
  return rows.map(({ d, name }) => ({
    id: d.id,
    destinationId: d.destinationId,
    destinationName: name,
    state: d.state as DeliveryState,
    attempts: d.attempts,
    path: d.path,
    bytes: d.bytes,
    durationMs: d.durationMs,
    error: d.error === null ? null : (JSON.parse(d.error) as ErrorBody),
    nextAttemptAt: iso(d.nextAttemptAt),
    startedAt: iso(d.startedAt),
    deletedAt: iso(d.deletedAt),
    deletionReason: d.deletionReason,
    damagedAt: iso(d.damagedAt),
    damage: d.damage as DeliveryView["damage"],
    lockedUntil: iso(d.lockedUntil),
    retentionNote: d.retentionNote,
    updatedAt: new Date(d.updatedAt).toISOString(),
  }));
}
