import { z } from "zod";
import { PROTOCOL_VERSION } from "./envelope.js";

/**
 * Headers the agent sends on the WebSocket upgrade, so the control plane can refuse an incompatible
 * agent before a single frame is exchanged (lower case: Node's IncomingMessage lower-cases names).
 */
export const VERSION_HEADERS = {
  agentVersion: "holdfast-agent-version",
  protocol: "holdfast-protocol",
} as const;

/**
 * The least any hello or helloAck of any protocol carries: its type and protocol number. Read first,
 * so a frame of another protocol is answered "incompatible" instead of "malformed".
 */
export const ProtocolProbe = z.looseObject({
  type: z.string(),
  protocolVersion: z.number().int().min(0).max(1_000_000),
  agentVersion: z.string().max(64).optional().catch(undefined),
});
export type ProtocolProbe = z.infer<typeof ProtocolProbe>;

/** The `Holdfast-Protocol` header's value: a decimal integer, else null (absent or garbled). */
export function parseProtocolHeader(value: string | string[] | undefined): number | null {
  if (typeof value !== "string" || !/^\d{1,7}$/.test(value.trim())) return null;
  return Number(value.trim());
}

/**
 * The compatibility rule: the protocol number is the major, and only equal majors talk. Additive
 * changes (a new optional field, a new command) keep the number; the other side ignores what it does
 * not know. Returns null when compatible, else the reason as the side `us` says it.
 */
export function protocolMismatch(theirs: number, us: "control plane" | "agent", ours: number = PROTOCOL_VERSION): string | null {
  if (theirs === ours) return null;
  const them = us === "agent" ? "control plane" : "agent";
  const behind = theirs < ours ? them : us;
  return `${them} speaks protocol ${theirs}, this ${us} ${ours}: upgrade the ${behind}`;
}

/** `MAJOR.MINOR.PATCH` with an optional `-prerelease` (and `+build`, ignored); null when not semver. */
function parseSemver(v: string): { core: [number, number, number]; pre: string[] } | null {
  const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(v.trim());
  if (!m) return null;
  return { core: [Number(m[1]), Number(m[2]), Number(m[3])], pre: m[4] ? m[4].split(".") : [] };
}

/** Semver precedence (semver.org §11): -1, 0 or 1; null when either side is not a version. */
export function compareVersions(a: string, b: string): -1 | 0 | 1 | null {
  const x = parseSemver(a);
  const y = parseSemver(b);
  if (!x || !y) return null;
  for (let i = 0; i < 3; i++) if (x.core[i] !== y.core[i]) return x.core[i]! < y.core[i]! ? -1 : 1;
  // A pre-release sorts before its release.
  if (x.pre.length === 0 || y.pre.length === 0) return x.pre.length === y.pre.length ? 0 : x.pre.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(x.pre.length, y.pre.length); i++) {
    const p = x.pre[i]!;
    const q = y.pre[i]!;
    if (p === q) continue;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    if (pn && qn) return Number(p) < Number(q) ? -1 : 1;
    if (pn !== qn) return pn ? -1 : 1;
    return p < q ? -1 : 1;
  }
  return x.pre.length === y.pre.length ? 0 : x.pre.length < y.pre.length ? -1 : 1;
}

/** True when `agentVersion` is a version older than `controlPlaneVersion`; unknown versions are not flagged. */
export function isUpdateAvailable(agentVersion: string | null, controlPlaneVersion: string): boolean {
  return agentVersion !== null && compareVersions(agentVersion, controlPlaneVersion) === -1;
}
