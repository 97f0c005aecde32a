import { posix } from "node:path";
import { ArtifactSidecar, SAFE_ID, SIDECAR_SUFFIX } from "@holdfast/shared";
import { artifactObjectName, partNames } from "../deliveries/object-name.js";
import { readSmallObject, SIDECAR_MAX_BYTES } from "../deliveries/verify-stored-copy.js";
import type { Destination } from "../destinations/types.js";

/** One backup found at a destination by its Holdfast sidecar. */
export interface StoredBackup {
  /** The artifact's name: the sidecar's minus `.json`. */
  objectName: string;
  /** The parsed sidecar; null when it claims to be Holdfast's but does not parse. */
  sidecar: ArtifactSidecar | null;
  /** From the sidecar, or as far as its raw JSON tells for one that does not parse. */
  runId: string;
  datasourceId: string;
  /** The data objects the sidecar names (the artifact, or each part in order). */
  dataObjects: string[];
  /** What of it is there: the data objects present, then the sidecar. */
  presentObjects: string[];
  /** The bytes of what is there. */
  bytes: number;
  /**
   * Why this is not a backup Holdfast wrote under its own naming (the sidecar does not parse, or
   * names another object): such a one is never imported, listed as an orphan or deleted.
   */
  sidecarProblem: string | null;
  /** Why its data is not whole (an object missing or of another size than the sidecar says). */
  dataProblem: string | null;
}

const text = (v: unknown) => (typeof v === "string" ? v : "");

/** A sidecar's data objects, with the sizes they must have. */
function dataOf(objectName: string, s: ArtifactSidecar): { name: string; sizeBytes: number }[] {
  if (!s.parts || s.parts.length === 0) return [{ name: objectName, sizeBytes: s.sizeBytes }];
  const dir = posix.dirname(objectName);
  return s.parts.map((p) => ({ name: dir === "." ? p.name : `${dir}/${p.name}`, sizeBytes: p.sizeBytes }));
}

/** Why a parsed sidecar is not where Holdfast would have written it, or null when it is. */
function namingProblem(objectName: string, s: ArtifactSidecar): string | null {
  if (!SAFE_ID.test(s.runId) || !SAFE_ID.test(s.datasourceId)) return "its run or datasource id is not one Holdfast makes";
  const expected = artifactObjectName({ id: s.runId, datasourceId: s.datasourceId, createdAt: Date.parse(s.createdAt), fileName: s.fileName });
  if (expected !== objectName) return `it sits beside ${objectName}, where Holdfast would have named run ${s.runId}'s artifact ${expected}`;
  if (s.parts && s.parts.length > 0) {
    const names = partNames(posix.basename(objectName), s.parts);
    if (s.parts.some((p, i) => p.name !== names[i] || p.index !== i + 1)) return "its parts are not named or numbered as Holdfast names them";
  }
  return null;
}

/**
 * Every backup at a destination that carries a Holdfast sidecar (`<artifact>.json` whose JSON says
 * `holdfastSidecar`), read with the shared schema, its data objects checked against the listing's
 * sizes. A `.json` that is not a Holdfast sidecar, and any object beside no sidecar, is left out:
 * what is chosen by listing is only ever what Holdfast provably wrote. One listing for the whole
 * destination; each sidecar is then read (a few KB each).
 */
export async function listStoredBackups(destination: Destination): Promise<StoredBackup[]> {
  const listing = await destination.list("");
  const sizes = new Map(listing.map((e) => [e.name, e.bytes]));
  const found: StoredBackup[] = [];
  for (const entry of listing) {
    if (!entry.name.endsWith(SIDECAR_SUFFIX) || entry.bytes > SIDECAR_MAX_BYTES) continue;
    const raw = await readSmallObject(destination, entry.name, SIDECAR_MAX_BYTES).catch(() => null);
    let json: unknown;
    try {
      json = raw ? (JSON.parse(raw.toString("utf8")) as unknown) : null;
    } catch {
      continue;
    }
    if (typeof json !== "object" || json === null || (json as { holdfastSidecar?: unknown }).holdfastSidecar === undefined) continue;
    const objectName = entry.name.slice(0, -SIDECAR_SUFFIX.length);
    const parsed = ArtifactSidecar.safeParse(json);
    const base = { objectName, runId: text((json as { runId?: unknown }).runId), datasourceId: text((json as { datasourceId?: unknown }).datasourceId) };
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      found.push({ ...base, sidecar: null, dataObjects: [], presentObjects: [entry.name], bytes: entry.bytes, sidecarProblem: `its sidecar does not parse (${issue?.path.join(".") || "sidecar"}: ${issue?.message ?? "invalid"})`, dataProblem: null });
      continue;
    }
    const s = parsed.data;
    const data = dataOf(objectName, s);
    const present = data.filter((o) => sizes.has(o.name));
    const wrong = data.find((o) => sizes.get(o.name) !== o.sizeBytes);
    found.push({
      ...base,
      sidecar: s,
      dataObjects: data.map((o) => o.name),
      presentObjects: [...present.map((o) => o.name), entry.name],
      bytes: present.reduce((sum, o) => sum + sizes.get(o.name)!, entry.bytes),
      sidecarProblem: namingProblem(objectName, s),
      dataProblem: !wrong ? null : sizes.has(wrong.name) ? `${wrong.name} holds ${sizes.get(wrong.name)} bytes, not the ${wrong.sizeBytes} its sidecar says` : `${wrong.name} is missing`,
    });
  }
  return found;
}
