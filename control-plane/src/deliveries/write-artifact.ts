import { Readable } from "node:stream";
import type { Destination } from "../destinations/types.js";
import type { ArtifactMeta, RunRow } from "../runs/get-run.js";
import { partNames, sidecarName } from "./object-name.js";
import { buildSidecar } from "./sidecar.js";
import { readVerified } from "./verified-read.js";

export interface WriteInput {
  destination: Destination;
  run: RunRow;
  engine: string | null;
  objectName: string;
  /** The verified spool copy. */
  spoolPath: string;
  /** Called with each stream handed to the destination, so a shutdown can cut it. */
  onStream?: (stream: Readable) => void;
}

/**
 * Writes one run's artifact to one destination: the whole file, or each part of a split artifact
 * from its byte range of the spool copy (checked against its own SHA-256 as it streams), then the
 * sidecar last, so a sidecar is only ever found beside complete data. Answers the artifact's
 * location (for a split one, the name its parts hang off) and the artifact's bytes.
 */
export async function writeArtifact(input: WriteInput): Promise<{ path: string; bytes: number }> {
  const { destination, run, objectName, spoolPath } = input;
  const parts = run.artifactMeta ? ((JSON.parse(run.artifactMeta) as ArtifactMeta).parts ?? []) : [];
  const put = async (stream: Readable, name: string, bytes: number) => {
    input.onStream?.(stream);
    return destination.put(stream, name, { bytes });
  };

  let path: string;
  let bytes = 0;
  if (parts.length > 0) {
    const names = partNames(objectName, parts);
    let first = "";
    for (const [i, part] of parts.entries()) {
      const name = names[i]!;
      const written = await put(readVerified(spoolPath, part, `Part ${part.index} of run ${run.id}`), name, part.sizeBytes);
      bytes += written.bytes;
      if (i === 0) first = written.path.slice(0, written.path.length - (name.length - objectName.length));
    }
    path = first;
  } else {
    const whole = { offset: 0, sizeBytes: run.sizeBytes ?? 0, sha256: run.sha256 ?? "" };
    const written = await put(readVerified(spoolPath, whole, `The artifact of run ${run.id}`), objectName, whole.sizeBytes);
    ({ path, bytes } = written);
  }
  const sidecar = Buffer.from(`${JSON.stringify(buildSidecar(run, input.engine, objectName), null, 2)}\n`);
  await put(Readable.from([sidecar]), sidecarName(objectName), sidecar.length);
  return { path, bytes };
}
