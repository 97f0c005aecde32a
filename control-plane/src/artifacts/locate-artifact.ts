import { open, type FileHandle } from "node:fs/promises";
import { isAbsolute } from "node:path";
import { Readable } from "node:stream";
import type { DestinationType } from "@holdfast/shared";
import { and, eq, isNull } from "drizzle-orm";
import type { AppContext } from "../context.js";
import { artifactObjectName, partNames, recordsName } from "../deliveries/object-name.js";
import { fullConfig } from "../destinations/destination-rows.js";
import { type DestinationLimits, openDestination } from "../destinations/open-destination.js";
import type { Destination } from "../destinations/types.js";
import type { ArtifactMeta, RunRow } from "../runs/get-run.js";
import { spooledPath } from "./spool.js";

type LocateContext = Pick<AppContext, "database" | "clock" | "secrets" | "log"> & { env: { spoolDir: string } & DestinationLimits };
type LocatedRun = Pick<RunRow, "id" | "sizeBytes" | "datasourceId" | "createdAt" | "fileName" | "artifactMeta">;

export interface HeldArtifact {
  source: "spool" | "destination";
  /** The destination read from; null for the spool. */
  destinationId: string | null;
  sizeBytes: number;
  /** The bytes `start..end` (inclusive); called once. */
  read(start: number, end: number): Promise<Readable>;
  /** Releases what `read` did not take over. */
  close(): Promise<void>;
}

/** Where each slice of the artifact lives on a destination: one object, or its parts in order. */
interface Slice {
  name: string;
  offset: number;
  sizeBytes: number;
}

// Fast and local first; SFTP opens one SSH connection per operation.
const PREFERENCE: Record<string, number> = { local: 0, s3: 1, sftp: 2 };

/** An open file: the bytes served are those whose size was checked, whatever renames follow. */
function heldFile(handle: FileHandle, source: HeldArtifact["source"], destinationId: string | null, sizeBytes: number): HeldArtifact {
  let taken = false;
  return {
    source,
    destinationId,
    sizeBytes,
    async read(start, end) {
      taken = true;
      return handle.createReadStream({ start, ...(sizeBytes > 0 ? { end } : {}), highWaterMark: 1024 * 1024, autoClose: true });
    },
    close: async () => {
      if (!taken) await handle.close().catch(() => {});
    },
  };
}

async function openFile(path: string, size: number): Promise<FileHandle | null> {
  const handle = await open(path, "r").catch(() => null);
  if (!handle) return null;
  const st = await handle.stat().catch(() => null);
  if (st?.isFile() && st.size === size) return handle;
  await handle.close();
  return null;
}

/** The slices of a delivered artifact, or null when the destination does not hold all of them whole. */
async function slicesOn(destination: Destination, run: LocatedRun, name: string): Promise<Slice[] | null> {
  const parts = run.artifactMeta ? ((JSON.parse(run.artifactMeta) as ArtifactMeta).parts ?? []) : [];
  const names = partNames(name, parts);
  const slices: Slice[] = parts.length > 0 ? parts.map((p, i) => ({ name: names[i]!, offset: p.offset, sizeBytes: p.sizeBytes })) : [{ name, offset: 0, sizeBytes: run.sizeBytes ?? 0 }];
  // One listing answers for every part (an SFTP stat per part would cost a connection each).
  const listed = new Map((await destination.list(name)).map((e) => [e.name, e.bytes]));
  return slices.every((s) => listed.get(s.name) === s.sizeBytes) ? slices : null;
}

/**
 * The slices overlapping `start..end`, read one after another and trimmed to the range. Destroying
 * the result (a reader that went away) destroys the slice being read at once, closing the
 * destination's read, rather than waiting for its next chunk.
 */
function readSlices(destination: Destination, slices: Slice[], start: number, end: number): Readable {
  let current: Readable | undefined;
  async function* bytes() {
    for (const slice of slices) {
      if (slice.offset + slice.sizeBytes <= start || slice.offset > end) continue;
      // The first slice is read from where the range starts in it: nothing before is fetched.
      const skip = Math.max(0, start - slice.offset);
      current = await destination.get(slice.name, skip > 0 ? { start: skip } : {});
      if (out.destroyed) current.destroy();
      let pos = slice.offset + skip;
      for await (const chunk of current as AsyncIterable<Buffer>) {
        const from = Math.max(0, start - pos);
        const to = Math.min(chunk.length, end - pos + 1);
        pos += chunk.length;
        if (to > from) yield chunk.subarray(from, to);
        if (pos > end) break;
      }
    }
  }
  const out = Readable.from(bytes(), { objectMode: false, highWaterMark: 1024 * 1024 });
  out.once("close", () => current?.destroy());
  return out;
}

/**
 * The copy of a completed backup's artifact the control plane can serve: the verified spool copy
 * (`<runId>.artifact`, which exists only after its SHA-256 matched; never the `.partial`), else a
 * completed, not deleted delivery on any destination whose objects are all there with the recorded
 * sizes, read through `destination.get()` (parts joined in order). The whole-file SHA-256 is checked
 * by the agent restoring it. Null when no copy is found. The caller closes it.
 */
export async function openHeldArtifact(ctx: LocateContext, run: LocatedRun): Promise<HeldArtifact | null> {
  if (run.sizeBytes === null) return null;
  const size = run.sizeBytes;
  const spool = await openFile(spooledPath(ctx.env.spoolDir, run.id), size);
  if (spool) return heldFile(spool, "spool", null, size);

  const { db, t } = ctx.database;
  const delivered = await db
    .select({ path: t.deliveries.path, destination: t.destinations })
    .from(t.deliveries)
    .innerJoin(t.destinations, eq(t.destinations.id, t.deliveries.destinationId))
    .where(and(eq(t.deliveries.runId, run.id), eq(t.deliveries.state, "completed"), isNull(t.deliveries.deletedAt), isNull(t.destinations.deletedAt)));
  delivered.sort((a, b) => (PREFERENCE[a.destination.type] ?? 9) - (PREFERENCE[b.destination.type] ?? 9));
  const name = artifactObjectName(run);

  for (const { path, destination: row } of delivered) {
    if (!recordsName(path, name)) {
      // Delivered before names carried the date: a local file at the recorded path.
      const legacy = row.type === "local" && path && isAbsolute(path) ? await openFile(path, size) : null;
      if (legacy) return heldFile(legacy, "destination", row.id, size);
      continue;
    }
    try {
      const destination = openDestination(row.type as DestinationType, fullConfig(ctx.secrets, row), ctx.env);
      const slices = await slicesOn(destination, run, name);
      if (!slices) continue;
      return { source: "destination", destinationId: row.id, sizeBytes: size, read: async (start, end) => readSlices(destination, slices, start, end), close: async () => {} };
    } catch (err) {
      ctx.log.warn({ runId: run.id, destinationId: row.id, err: (err as Error).message }, "could not read the delivered copy; trying the next one");
    }
  }
  return null;
}
