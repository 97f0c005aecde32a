import { open, type FileHandle } from "node:fs/promises";
import { and, eq } from "drizzle-orm";
import type { DbContext } from "../context.js";
import type { RunRow } from "../runs/get-run.js";
import { spooledPath } from "./spool.js";

type LocateContext = DbContext & { env: { spoolDir: string } };

export interface HeldArtifact {
  /** Open for reading: the bytes served are the bytes whose size was checked, whatever renames follow. */
  handle: FileHandle;
  path: string;
  source: "spool" | "destination";
  sizeBytes: number;
}

/**
 * The copy of a completed backup's artifact the control plane can serve: the verified spool copy
 * (`<runId>.artifact`, which exists only after its SHA-256 matched; never the `.partial`), else a
 * completed delivery to a local destination whose file still has the run's size. Null when neither
 * exists. The caller closes the handle (a stream over it does so when it ends).
 */
export async function openHeldArtifact(ctx: LocateContext, run: Pick<RunRow, "id" | "sizeBytes">): Promise<HeldArtifact | null> {
  if (run.sizeBytes === null) return null;
  const candidates: { path: string; source: HeldArtifact["source"] }[] = [{ path: spooledPath(ctx.env.spoolDir, run.id), source: "spool" }];
  const { db, t } = ctx.database;
  const delivered = await db
    .select({ path: t.deliveries.path, type: t.destinations.type })
    .from(t.deliveries)
    .innerJoin(t.destinations, eq(t.destinations.id, t.deliveries.destinationId))
    .where(and(eq(t.deliveries.runId, run.id), eq(t.deliveries.state, "completed")));
  for (const d of delivered) if (d.path && d.type === "local") candidates.push({ path: d.path, source: "destination" });

  for (const candidate of candidates) {
    const handle = await open(candidate.path, "r").catch(() => null);
    if (!handle) continue;
    const st = await handle.stat().catch(() => null);
    if (st?.isFile() && st.size === run.sizeBytes) return { handle, ...candidate, sizeBytes: st.size };
    await handle.close();
  }
  return null;
}
