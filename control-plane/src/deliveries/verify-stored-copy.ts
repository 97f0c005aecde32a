import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { type ArtifactPart, ArtifactSidecar, HoldfastError, type StoredCopyCheck } from "@holdfast/shared";
import type { Destination } from "../destinations/types.js";
import { partNames, sidecarName } from "./object-name.js";

/** What the catalogue recorded of an artifact: what its stored objects must match. */
export interface RecordedArtifact {
  runId: string;
  sizeBytes: number;
  sha256: string;
  parts: readonly ArtifactPart[] | undefined;
}

export type VerifyDepth = "full" | "size";
export type CopyVerdict = Pick<StoredCopyCheck, "verdict" | "checked" | "bytesRead" | "detail" | "errorCode">;

/** The longest a read may wait for its next chunk: a stalled destination is unreachable, not a hang. */
export const READ_IDLE_MS = 60_000;
/** A sidecar is a few KB (a part list of a huge split artifact, a few MB): anything far larger is not one. */
export const SIDECAR_MAX_BYTES = 64 * 1024 * 1024;

/** The bytes of an object, each chunk handed to `onChunk`; fails when no chunk comes for `idleMs`. */
async function readAll(stream: Readable, idleMs: number, onChunk: (chunk: Buffer) => void): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => stream.destroy(new HoldfastError("DESTINATION_UNREACHABLE", `The destination sent nothing for ${idleMs} ms`, { reason: "read stalled" })), idleMs);
  };
  let read = 0;
  try {
    arm();
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      arm();
      read += chunk.length;
      onChunk(chunk);
    }
    return read;
  } finally {
    clearTimeout(timer);
    stream.destroy();
  }
}

const verdict = (v: CopyVerdict["verdict"], checked: CopyVerdict["checked"], bytesRead: number, detail: string | null, errorCode: string | null = null): CopyVerdict => ({
  verdict: v,
  checked,
  bytesRead,
  detail,
  errorCode,
});

/**
 * Checks one destination's copy of an artifact against what was recorded: every object (the
 * artifact or each part, and the sidecar) is there with the recorded size; at `full` depth every
 * byte is also streamed through SHA-256 (each part's own hash, and the whole's across the parts in
 * order) without holding it in memory, and the sidecar must parse and name this artifact. The
 * scrub calls it at `size` depth; the validate route at either. Never throws for what it finds: a
 * destination that cannot be read is `unreachable` with the catalog's code.
 */
export async function verifyStoredCopy(destination: Destination, objectName: string, recorded: RecordedArtifact, depth: VerifyDepth, idleMs = READ_IDLE_MS): Promise<CopyVerdict> {
  const checked = depth === "full" ? "sha256" : "size";
  let bytesRead = 0;
  try {
    const parts = recorded.parts && recorded.parts.length > 0 ? recorded.parts : null;
    const names = parts ? partNames(objectName, parts) : [objectName];
    const expected = parts ? parts.map((p, i) => ({ name: names[i]!, sizeBytes: p.sizeBytes, sha256: p.sha256 })) : [{ name: objectName, sizeBytes: recorded.sizeBytes, sha256: recorded.sha256 }];
    // One listing answers for every object (an SFTP stat per part would cost a connection each).
    const listed = new Map((await destination.list(objectName)).map((e) => [e.name, e.bytes]));
    for (const o of [...expected, { name: sidecarName(objectName), sizeBytes: null }]) {
      const size = listed.get(o.name);
      if (size === undefined) return verdict("missing", checked, 0, `${o.name} is not there`);
      if (o.sizeBytes !== null && size !== o.sizeBytes) return verdict("altered", checked, 0, `${o.name} holds ${size} bytes, not the ${o.sizeBytes} recorded`);
    }
    if (depth === "size") return verdict("ok", checked, 0, null);

    const whole = createHash("sha256");
    for (const o of expected) {
      const own = createHash("sha256");
      const n = await readAll(await destination.get(o.name), idleMs, (chunk) => {
        own.update(chunk);
        if (parts) whole.update(chunk);
      });
      bytesRead += n;
      if (n !== o.sizeBytes) return verdict("altered", checked, bytesRead, `${o.name} gave ${n} bytes when read, not the ${o.sizeBytes} recorded`);
      if (own.digest("hex") !== o.sha256) return verdict("altered", checked, bytesRead, `${o.name} does not match its recorded SHA-256`);
    }
    if (parts && whole.digest("hex") !== recorded.sha256) return verdict("altered", checked, bytesRead, `the parts joined do not match the artifact's recorded SHA-256`);

    const raw = await readSmallObject(destination, sidecarName(objectName), SIDECAR_MAX_BYTES, idleMs);
    bytesRead += raw?.length ?? 0;
    const sidecar = raw ? parseSidecar(raw) : null;
    if (!sidecar || sidecar.runId !== recorded.runId || sidecar.sha256 !== recorded.sha256 || sidecar.sizeBytes !== recorded.sizeBytes) {
      return verdict("altered", checked, bytesRead, `${sidecarName(objectName)} is not this artifact's sidecar (it does not parse, or names another run, size or SHA-256)`);
    }
    return verdict("ok", checked, bytesRead, null);
  } catch (err) {
    if (err instanceof HoldfastError && err.code === "ARTIFACT_NOT_FOUND") return verdict("missing", checked, bytesRead, `an object went away while it was read: ${err.message}`);
    const code = err instanceof HoldfastError ? err.code : "DESTINATION_UNREACHABLE";
    return verdict("unreachable", checked, bytesRead, err instanceof Error ? err.message : String(err), code);
  }
}

/** A small object's bytes (a sidecar), or null when it is larger than `maxBytes`: then it is not what was looked for. */
export async function readSmallObject(destination: Destination, name: string, maxBytes: number, idleMs = READ_IDLE_MS): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  const tooLarge = new Error("too large");
  try {
    await readAll(await destination.get(name), idleMs, (chunk) => {
      size += chunk.length;
      if (size > maxBytes) throw tooLarge;
      chunks.push(chunk);
    });
  } catch (err) {
    if (err === tooLarge) return null;
    throw err;
  }
  return Buffer.concat(chunks);
}

/** A sidecar's bytes as the shared schema reads them, or null when they are not one. */
export function parseSidecar(bytes: Buffer): ArtifactSidecar | null {
  try {
    return ArtifactSidecar.safeParse(JSON.parse(bytes.toString("utf8"))).data ?? null;
  } catch {
    return null;
  }
}
