/**
 * Which S3 endpoints are refused unless the operator opts in: link-local addresses and the cloud
 * metadata services. A destination the control plane connects to is a server-side request, so an
 * endpoint pointing there would read the host's cloud credentials (SSRF). Loopback and private LAN
 * addresses stay allowed: a MinIO next door is the common case. Pure (no DNS): the control plane
 * applies the same rule to the addresses a name resolves to.
 */

const METADATA_NAMES = new Set(["metadata.google.internal"]);
const METADATA_V4 = "169.254.169.254";
/** AWS's IPv6 instance metadata endpoint, fd00:ec2::254, as 8 groups. */
const METADATA_V6 = [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254];

function parseV4(s: string): number[] | null {
  const parts = s.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.map(Number);
}

/** The 8 groups of an IPv6 address (with `::` and an embedded IPv4 tail), or null. */
function parseV6(s: string): number[] | null {
  if (!s.includes(":")) return null;
  let text = s.replace(/%.*$/, "");
  const tail = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail?.[1] && tail[2]) {
    const v4 = parseV4(tail[2]);
    if (!v4) return null;
    text = `${tail[1]}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const groups = (h: string | undefined) => (h ? h.split(":") : []);
  const head = groups(halves[0]);
  const rest = groups(halves[1]);
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null;
  return all.map((g) => parseInt(g, 16));
}

function v4Reason(v4: number[]): string | null {
  if (v4.join(".") === METADATA_V4) return "is the cloud metadata address";
  if (v4[0] === 169 && v4[1] === 254) return "is a link-local address (169.254.0.0/16)";
  return null;
}

/**
 * Why this host (a URL's hostname, brackets allowed, or a resolved address) may not be an S3
 * endpoint, or null when it may.
 */
export function refusedEndpointReason(host: string): string | null {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  const what = `endpoint ${host}`;
  if (METADATA_NAMES.has(h)) return `${what} is a cloud metadata service`;
  const v4 = parseV4(h);
  if (v4) {
    const reason = v4Reason(v4);
    return reason && `${what} ${reason}`;
  }
  const v6 = parseV6(h);
  if (!v6) return null;
  if (v6.every((g, i) => g === METADATA_V6[i])) return `${what} is the cloud metadata address`;
  if ((v6[0]! & 0xffc0) === 0xfe80) return `${what} is a link-local address (fe80::/10)`;
  // IPv4-mapped (::ffff:a.b.c.d) reaches the IPv4 address it carries.
  if (v6.slice(0, 5).every((g) => g === 0) && v6[5] === 0xffff) {
    const reason = v4Reason([v6[6]! >> 8, v6[6]! & 0xff, v6[7]! >> 8, v6[7]! & 0xff]);
    return reason && `${what} ${reason}`;
  }
  return null;
}
