import { createHash } from "node:crypto";
import { pipeline, Readable, type Transform } from "node:stream";
import { HoldfastError } from "@holdfast/shared";
import type { HeldArtifact } from "../artifacts/locate-artifact.js";
import type { Destination, PutResult } from "../destinations/types.js";
import type { ArtifactMeta, RunRow } from "../runs/get-run.js";
import { partNames, sidecarName } from "./object-name.js";
import { buildSidecar } from "./sidecar.js";
import { type ByteRange, readVerified, verifiedStream } from "./verified-read.js";

export interface WriteInput {
  destination: Destination;
  run: RunRow;
  engine: string | null;
  objectName: string;
  /** The verified spool copy. */
  spoolPath: string;
  /** Another destination's copy to read instead, when the spool's is gone (a copy asked for later). */
  held?: HeldArtifact;
  /** Called with each stream handed to the destination, so a shutdown can cut it. */
  onStream?: (stream: Readable) => void;
  /** The destination's bandwidth cap: a stream the artifact's bytes pass through on their way to it. */
  throttle?: () => Transform;
}

/**
 * Writes one run's artifact to one destination: the whole file, or each part of a split artifact
 * from its byte range of the spool copy (checked against its own SHA-256 as it streams), then the
 * sidecar last, so a sidecar is only ever found beside complete data. Answers the artifact's
 * location (for a split one, the name its parts hang off) and the artifact's bytes.
 *
 * A whole artifact going to a destination that can link (a local folder on the spool's file
 * system) is linked rather than streamed: the spool copy was hashed whole when it was pulled and is
 * never written again, so the link records the known hash without reading the bytes once more.
 * Split artifacts (each part is a range, not a file) and copies read from another destination
 * are streamed and hashed as before.
 *
 * The cap (`throttle`) paces the artifact's bytes after their check, so a bad part still fails
 * before its last byte reaches the destination. A link moves no bytes and is not paced; nor is the
 * sidecar (a few KiB).
 */
/**
 * `lockedUntil`: the latest retain-until date of the objects written (S3 Object Lock), the sidecar's
 * as it goes last; absent where nothing was locked.
 */
export async function writeArtifact(input: WriteInput): Promise<PutResult> {
  const { destination, run, objectName, spoolPath, held } = input;
  const parts = run.artifactMeta ? ((JSON.parse(run.artifactMeta) as ArtifactMeta).parts ?? []) : [];
  // The artifact's hash across its parts, checked before the sidecar says the copy is whole.
  const whole = createHash("sha256");
  const verified = async (range: ByteRange, label: string) =>
    held ? verifiedStream(range.sizeBytes === 0 ? null : await held.read(range.offset, range.offset + range.sizeBytes - 1), range, `${label} read from destination ${held.destinationId}`, whole) : readVerified(spoolPath, range, label);
  let lockedUntil: Date | undefined;
  const read = async (range: ByteRange, label: string): Promise<Readable> => {
    const stream = await verified(range, label);
    // pipeline() hands a failure of the check on to the throttle, which the destination reads.
    return input.throttle ? pipeline(stream, input.throttle(), () => {}) : stream;
  };
  const put = async (stream: Readable, name: string, bytes: number) => {
    input.onStream?.(stream);
    const written = await destination.put(stream, name, { bytes });
    if (written.lockedUntil && (!lockedUntil || written.lockedUntil > lockedUntil)) lockedUntil = written.lockedUntil;
    return written;
  };

  let path: string;
  let bytes = 0;
  if (parts.length > 0) {
    const names = partNames(objectName, parts);
    let first = "";
    for (const [i, part] of parts.entries()) {
      const name = names[i]!;
      const written = await put(await read(part, `Part ${part.index} of run ${run.id}`), name, part.sizeBytes);
      bytes += written.bytes;
      if (i === 0) first = written.path.slice(0, written.path.length - (name.length - objectName.length));
    }
    path = first;
    const digest = whole.digest("hex");
    if (held && digest !== run.sha256) {
      throw new HoldfastError("CHECKSUM_MISMATCH", `The parts of run ${run.id} read from destination ${held.destinationId} do not join into the recorded artifact`, { expected: run.sha256, actual: digest }, false);
    }
  } else {
    const range = { offset: 0, sizeBytes: run.sizeBytes ?? 0, sha256: run.sha256 ?? "" };
    // A folder on the spool's file system gets the spool copy itself (a hard link), not a second copy.
    const linked = !held && destination.link ? await destination.link(spoolPath, objectName, { bytes: range.sizeBytes }) : null;
    const written = linked ?? (await put(await read(range, `The artifact of run ${run.id}`), objectName, range.sizeBytes));
    ({ path, bytes } = written);
  }
  const sidecar = Buffer.from(`${JSON.stringify(buildSidecar(run, input.engine, objectName), null, 2)}\n`);
  await put(Readable.from([sidecar]), sidecarName(objectName), sidecar.length);
  return { path, bytes, ...(lockedUntil ? { lockedUntil } : {}) };
}
