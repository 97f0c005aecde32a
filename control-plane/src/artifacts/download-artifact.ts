import { createHash } from "node:crypto";
import { basename } from "node:path";
import { pipeline, type Readable, Transform } from "node:stream";
import { HoldfastError } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import { backupCopies, noCopyLeft } from "./backup-copies.js";
import { parseRange } from "./byte-range.js";
import { openHeldArtifact } from "./locate-artifact.js";

type DownloadContext = Pick<AppContext, "database" | "clock" | "env" | "log" | "secrets">;

export interface ArtifactRequest {
  runId: string;
  range: string | undefined;
  /** `If-Range`: the range applies only while the artifact is still this one (its ETag). */
  ifRange: string | undefined;
  /** HEAD: the headers only; nothing is read. */
  head: boolean;
}

export interface ArtifactResponse {
  status: 200 | 206;
  headers: Record<string, string>;
  /** Null for HEAD. */
  body: Readable | null;
}

/** `attachment; filename="…"` with the object name's file part, kept to characters no client misreads (RFC 6266). */
export function attachmentOf(objectName: string): string {
  const file = basename(objectName).replace(/[^A-Za-z0-9._-]/g, "_");
  return `attachment; filename="${file}"`;
}

/**
 * Passes the bytes on while hashing them and holds the last chunk back until the whole SHA-256
 * matched: a copy that rotted on its destination ends as a cut download (fewer bytes than
 * Content-Length), never as a complete-looking one. At most one chunk (1 MiB) is held.
 */
function releasedWhenVerified(sizeBytes: number, sha256: string, onMismatch: (actual: string, bytes: number) => void): Transform {
  const hash = createHash("sha256");
  let held: Buffer | null = null;
  let seen = 0;
  return new Transform({
    readableHighWaterMark: 1024 * 1024,
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      seen += chunk.length;
      const out = held;
      held = chunk;
      done(null, out ?? undefined);
    },
    flush(done) {
      const actual = hash.digest("hex");
      if (seen !== sizeBytes || actual !== sha256) {
        onMismatch(actual, seen);
        return done(new HoldfastError("CHECKSUM_MISMATCH", `The copy read does not match the backup's SHA-256 (${seen} of ${sizeBytes} bytes)`, { expected: sha256, actual }, false));
      }
      if (held) this.push(held);
      done();
    },
  });
}

/**
 * `GET /api/v1/runs/:runId/artifact`: a completed backup's bytes, from the verified spool copy or any
 * destination holding it whole (locate-artifact.ts; a split artifact's parts joined in order), as a
 * stream with backpressure: nothing is buffered, and a client that goes away destroys the stream,
 * which closes the file or the destination's read. The SHA-256 goes in `X-Holdfast-Sha256` (hex, as
 * sha256sum prints it), `Repr-Digest` (RFC 9530) and the ETag; one Range is served as 206. A whole
 * download is checked against the SHA-256 as it streams (releasedWhenVerified).
 */
export async function downloadArtifact(ctx: DownloadContext, req: ArtifactRequest): Promise<ArtifactResponse> {
  const backup = await backupCopies(ctx, req.runId);
  const { run } = backup;
  const held = await openHeldArtifact(ctx, run);
  if (!held) throw noCopyLeft(backup);
  try {
    const size = held.sizeBytes;
    const { sha256 } = run;
    const etag = `"${sha256}"`;
    const range = req.ifRange !== undefined && req.ifRange.trim() !== etag ? null : parseRange(req.range, size);
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    const length = size === 0 ? 0 : end - start + 1;
    const headers: Record<string, string> = {
      "content-type": "application/octet-stream",
      "content-length": String(length),
      "content-disposition": attachmentOf(backup.objectName),
      "accept-ranges": "bytes",
      etag,
      "x-holdfast-sha256": sha256,
      "repr-digest": `sha-256=:${Buffer.from(sha256, "hex").toString("base64")}:`,
      "cache-control": "private, no-store",
      "x-content-type-options": "nosniff",
      ...(range ? { "content-range": `bytes ${start}-${end}/${size}` } : {}),
    };
    if (req.head || length === 0) {
      await held.close();
      return { status: range ? 206 : 200, headers, body: null };
    }
    const stream = await held.read(start, end);
    const log = ctx.log.child({ runId: run.id, from: held.source, destinationId: held.destinationId });
    log.info({ start, bytes: length }, "artifact download started");
    // pipeline: a client that goes away destroys the verifier, and with it the read under it.
    const body = range
      ? stream
      : pipeline(stream, releasedWhenVerified(size, sha256, (actual, bytes) => log.error({ expected: sha256, actual, bytes }, "a copy of the artifact does not match its SHA-256; the download was cut")), () => {});
    return { status: range ? 206 : 200, headers, body };
  } catch (err) {
    await held.close();
    throw err;
  }
}
