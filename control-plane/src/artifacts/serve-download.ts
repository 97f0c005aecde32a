import type { Readable } from "node:stream";
import { HoldfastError } from "@holdfast/shared";
import type { AppContext } from "../context.js";
import { getRunRow } from "../runs/get-run.js";
import { openHeldArtifact } from "./locate-artifact.js";
import { parseRange } from "./byte-range.js";
import { assertRunId } from "./spool.js";

type DownloadContext = Pick<AppContext, "database" | "clock" | "env" | "downloads" | "log" | "secrets">;

export interface DownloadInput {
  /** The backup run whose artifact is asked for (the restore's source). */
  runId: string;
  authorization: string | undefined;
  range: string | undefined;
}

export interface DownloadResponse {
  status: 200 | 206;
  headers: Record<string, string>;
  body: Readable;
}

/**
 * `GET /agent/v1/artifacts/:runId` (docs/link.md §9): streams a completed backup's verified artifact
 * to the agent restoring it. Authorised by the restore's download token (bound to the restore run,
 * its agent and this source run), only while that restore is queued or running. Served from the
 * verified spool copy, else from a completed delivery on any destination (locate-artifact.ts); never
 * from a partial upload. `Range: bytes=N-` answers 206 with Content-Range, so a cut download resumes. The file is
 * read as a stream (1 MiB chunks), so memory stays flat whatever the artifact's size.
 */
export async function serveDownload(ctx: DownloadContext, input: DownloadInput): Promise<DownloadResponse> {
  assertRunId(input.runId);
  // Run ids are random: saying that one does not exist tells a caller without a token nothing useful.
  const source = await getRunRow(ctx, input.runId);
  const { restoreRunId, agentId } = ctx.downloads.check(input.authorization, input.runId);
  const restore = await getRunRow(ctx, restoreRunId);
  if (restore.kind !== "restore" || restore.agentId !== agentId || restore.sourceRunId !== input.runId || !["queued", "running"].includes(restore.state)) {
    ctx.downloads.revoke(restoreRunId);
    throw new HoldfastError("UNAUTHENTICATED", "Missing or invalid download token");
  }
  const held = await openHeldArtifact(ctx, source);
  if (!held) throw new HoldfastError("ARTIFACT_NOT_FOUND", `The control plane holds no verified copy of run ${input.runId}`, { runId: input.runId });
  try {
    const size = held.sizeBytes;
    const range = size === 0 ? null : parseRange(input.range, size);
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    const headers: Record<string, string> = {
      "content-type": "application/octet-stream",
      "content-length": String(size === 0 ? 0 : end - start + 1),
      "accept-ranges": "bytes",
      "cache-control": "no-store",
      ...(range ? { "content-range": `bytes ${start}-${end}/${size}` } : {}),
    };
    const body = await held.read(start, end);
    ctx.log.info(
      { runId: input.runId, restoreRunId, agentId, from: held.source, destinationId: held.destinationId, start, bytes: size === 0 ? 0 : end - start + 1 },
      "artifact download started",
    );
    return { status: range ? 206 : 200, headers, body };
  } catch (err) {
    await held.close();
    throw err;
  }
}
