import fs from "node:fs";
import path from "node:path";
import { ArtifactSidecar, HoldfastError, partFileName, SIDECAR_SUFFIX, validationError } from "@holdfast/shared/protocol";

/** One file of an artifact on disk, and what the sidecar says it must hold. */
export interface ArtifactFile {
  file: string;
  /** `part 2 of 5`, or `the artifact` when it is whole: for messages. */
  label: string;
  offset: number;
  sizeBytes: number;
  sha256: string;
}

/** An artifact found in a local folder through its sidecar, its files checked to exist and to chain. */
export interface LocalArtifact {
  /** The artifact's name in the folder (the sidecar's own name minus `.json`). */
  base: string;
  sidecarFile: string;
  sidecar: ArtifactSidecar;
  files: ArtifactFile[];
}

const PART_SUFFIX = /\.part\d{4,}$/;

/** `x.sql.gz`, `x.sql.gz.part0001` or `x.sql.gz.json`: all name the artifact `x.sql.gz`. */
export function artifactBaseOf(from: string): string {
  const abs = path.resolve(from);
  if (abs.endsWith(SIDECAR_SUFFIX)) return abs.slice(0, -SIDECAR_SUFFIX.length);
  return abs.replace(PART_SUFFIX, "");
}

const notFound = (message: string, details: Record<string, unknown>) => new HoldfastError("ARTIFACT_NOT_FOUND", message, details);

async function readSidecarFile(sidecarFile: string): Promise<ArtifactSidecar> {
  let text: string;
  try {
    text = await fs.promises.readFile(sidecarFile, "utf8");
  } catch (err) {
    const errno = (err as NodeJS.ErrnoException).code ?? "error";
    throw notFound(`No sidecar at ${sidecarFile} (${errno}): copy the artifact's .json beside it; without it nothing can be checked`, { sidecar: sidecarFile, errno });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new HoldfastError("VALIDATION_FAILED", `The sidecar ${sidecarFile} is not JSON`, { sidecar: sidecarFile });
  }
  const parsed = ArtifactSidecar.safeParse(json);
  if (!parsed.success) throw validationError(parsed.error, `the sidecar ${sidecarFile}`);
  return parsed.data;
}

/**
 * The parts as the sidecar lists them must number 1..n in order and tile the artifact: each one
 * starts where the one before ended and the last ends at its size. A sidecar that says otherwise
 * (a gap, an overlap, a part listed twice) is refused: joining its parts would not give the artifact.
 */
function expectedFiles(base: string, sidecar: ArtifactSidecar): ArtifactFile[] {
  const dir = path.dirname(base);
  if (sidecar.parts === null) return [{ file: base, label: "the artifact", offset: 0, sizeBytes: sidecar.sizeBytes, sha256: sidecar.sha256 }];
  const count = sidecar.parts.length;
  let offset = 0;
  return sidecar.parts.map((part, i) => {
    const label = `part ${part.index} of ${count}`;
    if (part.index !== i + 1 || part.offset !== offset) {
      throw new HoldfastError("VALIDATION_FAILED", `The sidecar lists its parts out of order or with a gap or overlap at ${label} (offset ${part.offset}, expected part ${i + 1} at offset ${offset})`, {
        part: part.index,
        offset: part.offset,
        expectedIndex: i + 1,
        expectedOffset: offset,
      });
    }
    offset += part.sizeBytes;
    // The sidecar's own name for the part; a folder whose files were renamed together falls back to ours.
    const named = path.join(dir, part.name);
    const file = fs.existsSync(named) ? named : `${base}${partFileName("", part.index, count)}`;
    return { file, label, offset: part.offset, sizeBytes: part.sizeBytes, sha256: part.sha256 };
  });
}

/**
 * Finds the artifact `from` names (it, its first part or its sidecar), reads and validates the
 * sidecar, and checks that every file it lists is there with the size it says. Reads no data: the
 * hashes are checked by `readArtifactParts`. Throws ARTIFACT_NOT_FOUND, VALIDATION_FAILED or
 * CHECKSUM_MISMATCH (a size differs).
 */
export async function readSidecar(from: string): Promise<LocalArtifact> {
  const base = artifactBaseOf(from);
  const sidecarFile = base + SIDECAR_SUFFIX;
  const sidecar = await readSidecarFile(sidecarFile);
  const files = expectedFiles(base, sidecar);
  const total = files.reduce((sum, f) => sum + f.sizeBytes, 0);
  if (total !== sidecar.sizeBytes) {
    throw new HoldfastError("VALIDATION_FAILED", `The sidecar's parts add up to ${total} bytes, not the artifact's ${sidecar.sizeBytes}`, { partsBytes: total, sizeBytes: sidecar.sizeBytes });
  }
  for (const f of files) {
    const st = await fs.promises.stat(f.file).catch((err: NodeJS.ErrnoException) => {
      throw notFound(`${f.label} is missing: ${f.file} (${err.code ?? "error"})`, { file: f.file, errno: err.code });
    });
    if (!st.isFile()) throw notFound(`${f.label} is not a regular file: ${f.file}`, { file: f.file });
    if (st.size !== f.sizeBytes) {
      throw new HoldfastError("CHECKSUM_MISMATCH", `${f.label} has ${st.size} bytes, not ${f.sizeBytes}: ${f.file}`, { file: f.file, expectedBytes: f.sizeBytes, actualBytes: st.size }, false);
    }
  }
  return { base, sidecarFile, sidecar, files };
}
