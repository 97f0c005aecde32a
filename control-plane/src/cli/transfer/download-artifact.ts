import { createHash, type Hash } from "node:crypto";
import { createReadStream, createWriteStream, renameSync, statSync, unlinkSync } from "node:fs";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { errorFromResponse } from "@holdfast/shared";
import { cliErrorOfApi, tokenFetch } from "../remote/client.js";
import { CliError } from "../remote/cli-error.js";
import type { Connection } from "../remote/connection.js";
import { EXIT } from "../remote/exit-codes.js";
import { type ByteMeter, byteMeter } from "./byte-meter.js";
import { resumePlan, writeModeOf } from "./resume-plan.js";

export interface DownloadResult {
  runId: string;
  file: string;
  sizeBytes: number;
  sha256: string;
  /** Bytes the partial already had: where this download resumed (0 for a fresh one). */
  resumedFrom: number;
  /** Bytes that came over the network this time. */
  transferredBytes: number;
}

const sizeOf = (file: string): number | null => {
  try {
    return statSync(file).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
};

async function hashFile(hash: Hash, file: string): Promise<void> {
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
}

/**
 * `GET /api/v1/runs/:runId/artifact` into `file`, resumable and verified. Bytes go to
 * `file.partial`; a partial already there is continued with `Range: bytes=N-` and `If-Range` (the
 * ETag the HEAD gave: should the artifact differ now, the server sends it whole and we start over).
 * The whole file is hashed (the partial's bytes first, then the stream's as they pass) and compared
 * with `X-Holdfast-Sha256`: a match is renamed to `file`; a mismatch deletes the partial and fails.
 * A stream silent for `idleMs` is cut, the partial kept for the next try. Memory stays flat: the
 * bytes are piped to the file with backpressure.
 */
export async function downloadArtifact(conn: Connection, runId: string, file: string, opts: { idleMs: number; meter?: (m: ByteMeter) => void }): Promise<DownloadResult> {
  const url = `${conn.server}/api/v1/runs/${encodeURIComponent(runId)}/artifact`;
  const partial = `${file}.partial`;
  const head = await tokenFetch(conn)(url, { method: "HEAD" });
  if (!head.ok) throw cliErrorOfApi(await errorFromResponse(await tokenFetch(conn)(url)));
  const sizeBytes = Number(head.headers.get("content-length"));
  const sha256 = head.headers.get("x-holdfast-sha256");
  const etag = head.headers.get("etag");
  if (!Number.isSafeInteger(sizeBytes) || !sha256 || !/^[0-9a-f]{64}$/.test(sha256)) throw new CliError(`The control plane did not say the artifact's size and SHA-256 (${conn.server})`, EXIT.failed);

  const plan = resumePlan(sizeOf(partial), sizeBytes);
  const hash = createHash("sha256");
  let from = plan.from;
  let transferred = 0;
  if (plan.fetch) {
    const idle = new AbortController();
    let timer = setTimeout(() => idle.abort(), opts.idleMs);
    const headers: Record<string, string> = "range" in plan ? { range: plan.range, ...(etag ? { "if-range": etag } : {}) } : {};
    try {
      const res = await tokenFetch(conn)(url, { headers, signal: idle.signal });
      if (!res.ok) throw cliErrorOfApi(await errorFromResponse(res));
      const mode = writeModeOf(res.status, res.headers.get("content-range"), from);
      if (mode === null || !res.body) {
        await res.body?.cancel();
        throw new CliError(`The control plane answered ${res.status} to a request for bytes from ${from}; delete ${partial} and try again`, EXIT.failed);
      }
      if (mode === "append") await hashFile(hash, partial);
      else from = 0;
      const meter = byteMeter(sizeBytes, from);
      opts.meter?.(meter);
      const count = new Transform({
        transform(chunk: Buffer, _enc, done) {
          clearTimeout(timer);
          timer = setTimeout(() => idle.abort(), opts.idleMs);
          hash.update(chunk);
          transferred += chunk.length;
          meter.add(chunk.length);
          done(null, chunk);
        },
      });
      await pipeline(Readable.fromWeb(res.body as import("node:stream/web").ReadableStream), count, createWriteStream(partial, { flags: mode === "append" ? "a" : "w", mode: 0o600 }));
      meter.done();
    } catch (err) {
      if (err instanceof CliError) throw err;
      const why = idle.signal.aborted ? `nothing came for ${Math.round(opts.idleMs / 1000)} s` : (err as Error).message;
      throw new CliError(`The download of run ${runId} was cut at ${from + transferred} of ${sizeBytes} bytes (${why}): run the same command again to resume`, EXIT.failed);
    } finally {
      clearTimeout(timer);
    }
  } else {
    await hashFile(hash, partial);
  }

  const actual = hash.digest("hex");
  const written = sizeOf(partial) ?? 0;
  if (actual !== sha256 || written !== sizeBytes) {
    unlinkSync(partial);
    throw new CliError(`The downloaded bytes do not match run ${runId}'s SHA-256 (got ${actual}, ${written} bytes; expected ${sha256}, ${sizeBytes} bytes): ${partial} was deleted, run the command again`, EXIT.failed, "CHECKSUM_MISMATCH");
  }
  renameSync(partial, file);
  return { runId, file, sizeBytes, sha256, resumedFrom: from, transferredBytes: transferred };
}
