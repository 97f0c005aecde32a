import { basename } from "node:path";
import { type ArtifactPart, artifactExtension, artifactKindOf, partFileName } from "@holdfast/shared";

/** The run fields a name is made from: the same run always gets the same name. */
export interface NamedRun {
  id: string;
  datasourceId: string;
  createdAt: number;
  fileName: string | null;
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** `20261124T071500Z`: UTC, fixed width, so names sort by time. */
export function compactUtc(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`;
}

/**
 * `.sql.gz`, `.dump.zst.age`...: read from the agent's file name through the names we make, so an
 * odd agent cannot put a path or a control character into an object name.
 */
export function extensionOf(fileName: string | null): string {
  if (!fileName) return ".bin";
  const kind = artifactKindOf(basename(fileName));
  if (kind) return artifactExtension(kind.format, kind.codec, kind.encrypted);
  const dot = basename(fileName).indexOf(".");
  const ext = dot >= 0 ? basename(fileName).slice(dot) : "";
  return /^(\.[A-Za-z0-9]{1,12}){1,4}$/.test(ext) ? ext : ".bin";
}

/**
 * Where a run's artifact goes in every destination:
 * `<datasourceId>/<yyyy>/<mm>/<yyyymmddThhmmssZ>_<runId><ext>`, from the run's creation time in UTC.
 * A listing sorts by datasource, then time; the run id makes the name unique and findable.
 */
export function artifactObjectName(run: NamedRun): string {
  const d = new Date(run.createdAt);
  return `${run.datasourceId}/${pad(d.getUTCFullYear(), 4)}/${pad(d.getUTCMonth() + 1)}/${compactUtc(run.createdAt)}_${run.id}${extensionOf(run.fileName)}`;
}

/** The metadata sidecar beside an artifact. */
export function sidecarName(objectName: string): string {
  return `${objectName}.json`;
}

/** The part objects of a split artifact, in order (`<name>.part0001`...). */
export function partNames(objectName: string, parts: readonly Pick<ArtifactPart, "index">[]): string[] {
  return parts.map((p) => partFileName(objectName, p.index, parts.length));
}

/** Every object a delivery of this run writes: the artifact (or its parts) and the sidecar. */
export function objectsOf(objectName: string, parts: readonly Pick<ArtifactPart, "index">[] | undefined): string[] {
  const data = parts && parts.length > 0 ? partNames(objectName, parts) : [objectName];
  return [...data, sidecarName(objectName)];
}

/**
 * Whether a delivery row's recorded location is this name: `put()` answers a full location (a local
 * path, `s3://bucket/prefix/name`, `sftp://…/name`) ending with the name it was given.
 */
export function recordsName(path: string | null, objectName: string): boolean {
  return path !== null && (path === objectName || path.endsWith(`/${objectName}`));
}
