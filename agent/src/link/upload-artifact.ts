import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AGENT_ROUTES, HoldfastError, UPLOAD_LENGTH_HEADER, UPLOAD_OFFSET_HEADER, type CommandData, type CommandPayload } from "@holdfast/shared/protocol";
import type { Logger } from "../log.js";
import type { ServerTrust } from "./server-trust.js";
import { PIPELINE_CHUNK_BYTES } from "../pipeline/chunk-size.js";
import { reclaimingTap } from "../pipeline/reclaim.js";
import { awaitGrowing, followGrowing, type GrowingArtifact } from "../staging/growing-artifact.js";
import { requireArtifact } from "../staging/staged-artifact.js";
import { getRun } from "../queue/run-record.js";
import type { AgentStore } from "../store/store.js";

export interface UploadOptions {
  serverUrl: string;
  runId: string;
  path: string;
  offset: number;
  sizeBytes: number;
  uploadToken: string;
  /** Pins checked before the token leaves (server-trust.ts); absent: Node's CA validation. */
  trust?: ServerTrust;
  /** How long the connection may make no progress (the server neither reads nor answers) before the upload is abandoned. */
  idleTimeoutMs?: number;
  /**
   * The file is still being staged: follow it as it grows and end the body when it is committed
   * (chunked, no length known up front); a failed pipeline aborts the request.
   */
  growing?: GrowingArtifact;
}

/** A control plane that stops reading for this long is gone; it asks again with the offset it holds. */
export const UPLOAD_IDLE_TIMEOUT_MS = 60_000;

export interface UploadResult {
  status: number;
  /** The control plane's Upload-Offset after the request, when it sent one. */
  serverOffset: number | null;
}

/**
 * docs/link.md §8: PATCH the staged file from `offset` as one streaming request body (HTTP, not
 * WebSocket frames: faster for bulk bytes). The token goes in the Authorization header, never the URL.
 */
export async function uploadArtifact(opts: UploadOptions): Promise<UploadResult> {
  const url = new URL(`${opts.serverUrl}${AGENT_ROUTES.artifacts}/${encodeURIComponent(opts.runId)}`);
  const transport = url.protocol === "https:" ? https : http;
  const req = transport.request(url, {
    ...opts.trust?.connectOptions(opts.serverUrl),
    method: "PATCH",
    headers: {
      authorization: `Bearer ${opts.uploadToken}`,
      [UPLOAD_OFFSET_HEADER]: String(opts.offset),
      "content-type": "application/offset+octet-stream",
      ...(opts.growing ? {} : { [UPLOAD_LENGTH_HEADER]: String(opts.sizeBytes), "content-length": String(opts.sizeBytes - opts.offset) }),
    },
  });
  // Every I/O has a bound: a socket with no traffic either way for this long is destroyed, which
  // fails the body's pipeline and the answer below (a slow but moving transfer never trips it).
  const idleMs = opts.idleTimeoutMs ?? UPLOAD_IDLE_TIMEOUT_MS;
  req.setTimeout(idleMs, () => {
    req.destroy(new HoldfastError("AGENT_TIMEOUT", `The control plane took no bytes and sent no answer for ${Math.round(idleMs / 1000)} s; the upload stops and resumes when asked again`, { runId: opts.runId }));
  });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.once("response", (res) => {
      res.on("error", () => {});
      resolve(res);
      // An answer before the body's end (413 past the spool's reservation, 409 with the offset it
      // expects) is final, and nobody reads the rest: stop sending. A growing body would otherwise
      // keep the file, the connection and this upload until staging ended or the idle timeout.
      if (!req.writableFinished) req.destroy();
    });
    req.once("error", reject);
  });
  response.catch(() => {});
  req.on("error", () => {}); // after an early answer the torn-down request's own error says nothing more
  const body = opts.growing
    ? Readable.from(followGrowing(opts.growing, opts.offset, PIPELINE_CHUNK_BYTES), { objectMode: false })
    : fs.createReadStream(opts.path, { start: opts.offset, highWaterMark: PIPELINE_CHUNK_BYTES });
  // A server that answers early (409 with the offset it expects) may cut the body: its answer still counts.
  let bodyError: unknown = null;
  const sent = pipeline(body, reclaimingTap(), req).then(
    () => "sent" as const,
    (err: unknown) => {
      bodyError = err;
      return "sent" as const;
    },
  );
  // An early answer does not wait for the body's teardown (a growing file's reader may be waiting
  // for the next write); a failed request waits for it, whose error says why.
  const answered = response.then(
    () => "answered" as const,
    () => "failed" as const,
  );
  if ((await Promise.race([sent, answered])) === "failed") await sent;
  const res = await response.catch((err: unknown) => {
    throw bodyError ?? err;
  });
  res.resume();
  // An early answer may have ended (and its connection closed) while the body was being torn down.
  if (!res.destroyed && !res.readableEnded) await new Promise<void>((resolve) => res.once("end", resolve).once("close", resolve));
  const offsetHeader = res.headers[UPLOAD_OFFSET_HEADER];
  const serverOffset = typeof offsetHeader === "string" && /^\d+$/.test(offsetHeader) ? Number(offsetHeader) : null;
  return { status: res.statusCode ?? 0, serverOffset };
}

export interface ArtifactReadDeps {
  store: AgentStore;
  serverUrl: string;
  log: Logger;
  upload: (opts: UploadOptions) => Promise<UploadResult>;
  trust?: ServerTrust;
}

/** How long readArtifact waits for a running run's pipeline to open its file before answering 404. */
export const GROWING_OPEN_WAIT_MS = 5_000;

/**
 * readArtifact: checks the request against the staged file (410 past its TTL, 404 when missing, 400
 * for an offset past its end) and answers its size and hash. A run still staging is followed as its
 * file grows (`growing: true`, hash unknown yet); a run that has not opened its file within 5 s, or
 * is in no state to have one, answers 404 and the control plane pulls after backupCompleted. The
 * upload from `offset` is returned as `startUpload`, for the caller to run once the answer left: the
 * control plane expects the answer before the bytes. An upload that fails is logged, not fatal: the
 * control plane asks again with the offset it holds.
 */
export async function readArtifact(
  deps: ArtifactReadDeps,
  request: CommandPayload<"readArtifact">,
  openWaitMs = GROWING_OPEN_WAIT_MS,
): Promise<{ data: CommandData<"readArtifact">; startUpload: () => void }> {
  const growing = getRun(deps.store, request.runId)?.state === "running" ? await awaitGrowing(request.runId, openWaitMs) : null;
  // Staging may have ended while we waited: the run's record answers then.
  const live = growing && !growing.state.failed && getRun(deps.store, request.runId)?.state === "running" ? growing : null;
  const artifact = live ? null : requireArtifact(deps.store, request.runId);
  const sizeBytes = live ? live.state.written : artifact!.sizeBytes;
  if (request.offset > sizeBytes) {
    throw new HoldfastError("VALIDATION_FAILED", `offset ${request.offset} is past the artifact's end (${sizeBytes})`, {
      runId: request.runId,
      sizeBytes,
    });
  }
  const log = deps.log.child({ runId: request.runId });
  const startUpload = () => {
    deps
      .upload({
        serverUrl: deps.serverUrl,
        runId: request.runId,
        path: live ? live.state.path : artifact!.path,
        offset: request.offset,
        sizeBytes,
        uploadToken: request.uploadToken,
        ...(live ? { growing: live } : {}),
        ...(deps.trust ? { trust: deps.trust } : {}),
      })
      .then(
        (r) => log[r.status >= 200 && r.status < 300 ? "info" : "warn"]({ status: r.status, serverOffset: r.serverOffset, offset: request.offset, growing: live !== null }, "artifact upload finished"),
        (err: unknown) => log.warn({ err: { message: (err as Error)?.message, code: (err as NodeJS.ErrnoException)?.code } }, "artifact upload failed"),
      );
  };
  if (live) return { data: { runId: request.runId, sizeBytes, sha256: null, growing: true }, startUpload };
  return { data: { runId: request.runId, sizeBytes, sha256: artifact!.sha256 }, startUpload };
}
