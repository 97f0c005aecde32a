import http from "node:http";
import https from "node:https";
import { Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import fs from "node:fs";
import { AGENT_ROUTES, ErrorBody, HoldfastError, sleep, type Clock } from "@holdfast/shared/protocol";
import { PIPELINE_CHUNK_BYTES } from "../pipeline/chunk-size.js";
import { Reclaimer } from "../pipeline/reclaim.js";
import type { ServerTrust } from "../link/server-trust.js";

export interface DownloadOptions {
  serverUrl: string;
  /** Pins checked before the token leaves (link/server-trust.ts); absent: Node's CA validation. */
  trust?: ServerTrust;
  /** The backup run whose artifact is fetched. */
  sourceRunId: string;
  downloadToken: string;
  sizeBytes: number;
  /** Where the bytes go: created here (`wx`, 0600), so it must not exist. */
  file: string;
  clock: Clock;
  signal: AbortSignal;
  /** Requests before giving up on a download that keeps getting cut (default 5). */
  maxAttempts?: number;
  /** First pause between attempts, doubled each time (default 500 ms; 0 in tests). */
  backoffMs?: number;
  /** Called with the bytes held so far as they arrive. */
  onProgress?: (bytes: number) => void;
  /** How long the connection may carry nothing before this attempt is abandoned (default 60 s); the next one resumes. */
  idleTimeoutMs?: number;
}

export interface DownloadResult {
  bytes: number;
  attempts: number;
}

/** Errors no second request can mend: the download ends with them. */
const FINAL = new WeakSet<HoldfastError>();
function final(err: HoldfastError): HoldfastError {
  FINAL.add(err);
  return err;
}

/** A refusal worth no second try: the token, the run or the range is wrong, not the network. */
const FINAL_STATUSES = new Set([400, 401, 403, 404, 410, 416]);

/**
 * docs/link.md §9: `GET {artifacts}/:sourceRunId` with the download token in the Authorization
 * header, into a file created `wx` 0600. A cut connection is resumed with `Range: bytes=N-` from the
 * bytes on disk (the server must answer 206 with the matching Content-Range, else the file starts
 * over). Never more bytes than `sizeBytes` are written. The caller verifies the hash.
 */
export async function downloadArtifact(opts: DownloadOptions): Promise<DownloadResult> {
  const maxAttempts = opts.maxAttempts ?? 5;
  const backoffMs = opts.backoffMs ?? 500;
  const handle = await fs.promises.open(opts.file, "wx", 0o600);
  try {
    let have = 0;
    let attempts = 0;
    let lastError: HoldfastError | null = null;
    while (have < opts.sizeBytes || attempts === 0) {
      if (opts.signal.aborted) throw new HoldfastError("RESTORE_FAILED", "The download was stopped", { stage: "download" });
      if (attempts >= maxAttempts) {
        throw new HoldfastError("RESTORE_FAILED", `The artifact download did not complete after ${attempts} attempts`, {
          stage: "download",
          bytes: have,
          sizeBytes: opts.sizeBytes,
          lastError: lastError?.toBody() ?? null,
        });
      }
      if (attempts > 0 && backoffMs > 0) await sleep(opts.clock, Math.min(30_000, backoffMs * 2 ** (attempts - 1)));
      attempts += 1;
      try {
        have = await fetchFrom(opts, handle, have);
        lastError = null;
      } catch (err) {
        if (err instanceof HoldfastError && FINAL.has(err)) throw err;
        lastError = err instanceof HoldfastError ? err : new HoldfastError("RESTORE_FAILED", (err as Error).message, { stage: "download" });
        have = (await handle.stat()).size;
      }
      if (opts.sizeBytes === 0) break;
    }
    await handle.sync();
    return { bytes: have, attempts };
  } finally {
    await handle.close();
  }
}

/** One GET from `have`; resolves with the bytes on disk afterwards (all of them unless cut). */
async function fetchFrom(opts: DownloadOptions, handle: fs.promises.FileHandle, have: number): Promise<number> {
  const url = new URL(`${opts.serverUrl}${AGENT_ROUTES.artifacts}/${encodeURIComponent(opts.sourceRunId)}`);
  const transport = url.protocol === "https:" ? https : http;
  const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = transport.request(url, {
      ...opts.trust?.connectOptions(opts.serverUrl),
      method: "GET",
      headers: { authorization: `Bearer ${opts.downloadToken}`, ...(have > 0 ? { range: `bytes=${have}-` } : {}) },
      signal: opts.signal,
    });
    // A control plane that stops sending is cut after a silence, and the next attempt resumes.
    const idleMs = opts.idleTimeoutMs ?? 60_000;
    req.setTimeout(idleMs, () => req.destroy(new HoldfastError("RESTORE_FAILED", `The control plane sent nothing for ${Math.round(idleMs / 1000)} s`, { stage: "download" })));
    req.once("response", resolve);
    req.once("error", reject);
    req.end();
  });
  let start: number;
  if (res.statusCode === 206 && res.headers["content-range"]?.startsWith(`bytes ${have}-`)) start = have;
  else if (res.statusCode === 200) start = 0;
  else {
    const error = await readError(res);
    if (FINAL_STATUSES.has(res.statusCode ?? 0)) {
      throw final(
        new HoldfastError(error.code, `The control plane refused the download: ${error.message}`, { ...error.details, stage: "download", status: res.statusCode }, false),
      );
    }
    throw new HoldfastError("RESTORE_FAILED", `The control plane answered ${res.statusCode} to the download`, { stage: "download", status: res.statusCode });
  }
  if (start === 0 && have > 0) await handle.truncate(0);
  let held = start;
  const room = opts.sizeBytes - start;
  let seen = 0;
  const reclaimer = new Reclaimer();
  const count = new Transform({
    highWaterMark: PIPELINE_CHUNK_BYTES,
    transform(chunk: Buffer, _enc, cb) {
      seen += chunk.length;
      if (seen > room) {
        cb(final(new HoldfastError("CHECKSUM_MISMATCH", "The control plane sent more bytes than the artifact has", { stage: "download" }, false)));
        return;
      }
      held += chunk.length;
      reclaimer.count(chunk.length);
      opts.onProgress?.(held);
      cb(null, chunk);
    },
  });
  await pipeline(res, count, writeAt(handle, start));
  return (await handle.stat()).size;
}

/** Writes each chunk at the next position of `handle`, which stays open whatever happens to the stream. */
function writeAt(handle: fs.promises.FileHandle, start: number): Writable {
  let position = start;
  return new Writable({
    highWaterMark: PIPELINE_CHUNK_BYTES,
    write(chunk: Buffer, _enc, cb) {
      (async () => {
        let off = 0;
        while (off < chunk.length) {
          const { bytesWritten } = await handle.write(chunk, off, chunk.length - off, position);
          off += bytesWritten;
          position += bytesWritten;
        }
      })().then(() => cb(), cb);
    },
  });
}

async function readError(res: http.IncomingMessage): Promise<ErrorBody> {
  let text = "";
  res.setEncoding("utf8");
  for await (const chunk of res) {
    if (text.length < 64 * 1024) text += chunk as string;
  }
  try {
    const parsed = ErrorBody.safeParse((JSON.parse(text) as { error?: unknown }).error);
    if (parsed.success) return parsed.data;
  } catch {
    // not JSON: a proxy's page
  }
  return { code: "RESTORE_FAILED", message: `HTTP ${res.statusCode}`, retryable: true };
}
