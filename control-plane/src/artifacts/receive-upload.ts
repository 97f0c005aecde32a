import { createWriteStream } from "node:fs";
import { open } from "node:fs/promises";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { HoldfastError } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import { metrics } from "../metrics/process-series.js";
import { getRunRow } from "../runs/get-run.js";
import { hashingTap } from "./received-hashes.js";
import { partialPath, sizeOrZero } from "./spool.js";
import type { UploadEnd } from "./upload-tokens.js";

type UploadContext = Pick<AppContext, "database" | "clock" | "env" | "uploads" | "log" | "bandwidth">;

export interface UploadInput {
  runId: string;
  authorization: string | undefined;
  offsetHeader: string | undefined;
  body: Readable | null;
}

function parseOffset(header: string | undefined): number {
  if (header === undefined || !/^\d{1,15}$/.test(header)) {
    throw new HoldfastError("VALIDATION_FAILED", "Upload-Offset must be a non-negative integer", { header: "upload-offset" });
  }
  return Number(header);
}

/** `HEAD /agent/v1/artifacts/:runId`: how many bytes the control plane already holds. */
export async function currentUploadOffset(ctx: UploadContext, runId: string, authorization: string | undefined): Promise<number> {
  ctx.uploads.check(authorization, runId);
  return sizeOrZero(partialPath(ctx.env.spoolDir, runId));
}

/**
 * `PATCH /agent/v1/artifacts/:runId` (docs/link.md §8): appends the body to the run's partial spool
 * file, which must be exactly `Upload-Offset` long, and answers the new offset. The body streams to
 * disk with backpressure; a cut connection keeps the bytes that arrived, fsynced, for the next try.
 */
export async function receiveUpload(ctx: UploadContext, input: UploadInput): Promise<{ offset: number }> {
  const { agentId, maxBytes } = ctx.uploads.consume(input.authorization, input.runId);
  const offset = parseOffset(input.offsetHeader);
  const run = await getRunRow(ctx, input.runId);
  if (run.agentId !== agentId) throw new HoldfastError("UNAUTHENTICATED", "Missing or invalid upload token");
  const path = partialPath(ctx.env.spoolDir, input.runId);

  if (!ctx.uploads.begin(input.runId)) {
    throw new HoldfastError("UPLOAD_OFFSET_MISMATCH", "Another upload of this artifact is in progress", {
      expectedOffset: await sizeOrZero(path),
    });
  }
  let how: Exclude<UploadEnd, "timeout"> = "ended";
  try {
    const expectedOffset = await sizeOrZero(path);
    if (offset !== expectedOffset) {
      throw new HoldfastError("UPLOAD_OFFSET_MISMATCH", `Upload-Offset ${offset} does not match the ${expectedOffset} bytes held`, {
        expectedOffset,
      });
    }
    if (!input.body) return { offset };
    // A run still staging has no size yet: the spool's reservation bounds it instead.
    const room = (run.sizeBytes ?? maxBytes ?? Number.POSITIVE_INFINITY) - offset;
    const started = performance.now();
    // Hashed as it arrives: the check before the spool copy is promoted reads nothing again.
    const hash = await ctx.uploads.hashes.resume(input.runId, path, offset);
    const tap = hashingTap(hash);
    // The body is read no faster than the agent's cap, so TCP holds the agent back and its host's
    // network carries no more than the cap; a change reaches this upload while it runs.
    const cap = await ctx.bandwidth.lease(`agent:${agentId}`);
    try {
      await pipeline(input.body, cap.throttle(), limitBytes(room), tap, createWriteStream(path, { flags: "a", mode: 0o600, highWaterMark: 1024 * 1024 }));
    } catch (err) {
      how = err instanceof HoldfastError && err.code === "PAYLOAD_TOO_LARGE" && run.sizeBytes === null ? "full" : "cut";
      if (err instanceof HoldfastError) throw err;
      ctx.log.warn({ runId: input.runId, agentId, err: (err as Error).message }, "artifact upload cut; the bytes received are kept");
      throw new HoldfastError("INTERNAL_ERROR", "The upload ended early; resume from the new offset", { runId: input.runId });
    } finally {
      cap.release();
      // fsync flushes the file, whichever descriptor wrote it: what we acknowledge is on disk.
      await fsyncFile(path).catch(() => {});
      // The hash goes on from here only when it covers exactly the bytes on disk.
      const held = await sizeOrZero(path);
      if (held === offset + tap.bytes) ctx.uploads.hashes.keep(input.runId, held, hash);
    }
    const end = await sizeOrZero(path);
    metrics.transferBytes.inc({ direction: "from_agent" }, end - offset);
    // One line per upload with its size and duration: operators see throughput, `npm run bench` reads it.
    ctx.log.info({ runId: input.runId, agentId, offset, bytes: end - offset, ms: Math.round(performance.now() - started) }, "artifact upload received");
    return { offset: end };
  } finally {
    ctx.uploads.end(input.runId, how);
  }
}

/** Refuses more bytes than the artifact has left: an agent cannot fill the control plane's disk. */
function limitBytes(room: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > room) cb(new HoldfastError("PAYLOAD_TOO_LARGE", "The upload is longer than the artifact"));
      else cb(null, chunk);
    },
  });
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, "r");
  await handle.sync().finally(() => handle.close());
}
