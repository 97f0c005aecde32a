import { lookup } from "node:dns";
import { lookup as lookupAll } from "node:dns/promises";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { HoldfastError, normalizeHost, refusedEndpointName, type S3DestinationConfig } from "@holdfast/shared";
import { reasonOf } from "./failures.js";

/** The code our guarded lookup fails with, so the S3 error mapping can tell it apart. */
export const ENDPOINT_FORBIDDEN = "EHOLDFAST_ENDPOINT_FORBIDDEN";

interface Rule {
  reason: string;
  network: string;
  prefix: number;
}

/** Refused IPv4 ranges, the most specific first so the reason names the metadata address. */
const V4_RULES: Rule[] = [
  { reason: "is the cloud metadata address", network: "169.254.169.254", prefix: 32 },
  { reason: "is a link-local address (169.254.0.0/16)", network: "169.254.0.0", prefix: 16 },
];
const V6_RULES: Rule[] = [
  { reason: "is the cloud metadata address", network: "fd00:ec2::254", prefix: 128 },
  { reason: "is a link-local address (fe80::/10)", network: "fe80::", prefix: 10 },
];
/**
 * IPv6 prefixes whose last 32 bits are an IPv4 address that a connection reaches: IPv4-mapped
 * (`::ffff:a9fe:a9fe`, which BlockList also matches against IPv4 rules by itself), IPv4-compatible
 * (`::a9fe:a9fe`, deprecated but still accepted by stacks) and NAT64's well-known prefix
 * (`64:ff9b::a9fe:a9fe`, which a NAT64 gateway turns into 169.254.169.254).
 */
const V4_CARRIERS = ["::ffff:", "::", "64:ff9b::"];

/** An IPv4 network (ours, dotted quad) as the two last groups of an IPv6 address. */
function asV6Tail(v4: string): string {
  const [a, b, c, d] = v4.split(".").map(Number) as [number, number, number, number];
  return `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
}

const RULES = [
  ...V4_RULES.map((r) => {
    const list = new BlockList();
    list.addSubnet(r.network, r.prefix, "ipv4");
    for (const carrier of V4_CARRIERS) list.addSubnet(`${carrier}${asV6Tail(r.network)}`, 96 + r.prefix, "ipv6");
    return { reason: r.reason, list };
  }),
  ...V6_RULES.map((r) => {
    const list = new BlockList();
    list.addSubnet(r.network, r.prefix, "ipv6");
    return { reason: r.reason, list };
  }),
];

/** Why this IP address may not be an S3 endpoint, or null when it may (or it is no address). */
export function refusedAddressReason(address: string): string | null {
  const ip = normalizeHost(address).replace(/%.*$/, "");
  const family = isIP(ip);
  if (family === 0) return null;
  return RULES.find((r) => r.list.check(ip, family === 4 ? "ipv4" : "ipv6"))?.reason ?? null;
}

/** Why this host (a URL's hostname, brackets allowed, or a resolved address) may not be an S3 endpoint, or null. */
export function refusedEndpointReason(host: string): string | null {
  const reason = refusedAddressReason(host);
  return refusedEndpointName(host) ?? (reason && `endpoint ${host} ${reason}`);
}

function forbidden(reason: string): HoldfastError {
  return new HoldfastError("DESTINATION_ENDPOINT_FORBIDDEN", `Refused the S3 endpoint: ${reason}`, { reason });
}

/** The endpoint's literal host checked without DNS: the S3 client connects to a literal address directly. */
export function assertEndpointLiteralAllowed(config: Pick<S3DestinationConfig, "endpoint" | "allowPrivateEndpoint">): void {
  if (!config.endpoint || config.allowPrivateEndpoint) return;
  const literal = refusedEndpointReason(new URL(config.endpoint).hostname);
  if (literal) throw forbidden(literal);
}

/**
 * Refuses an S3 endpoint that is, or resolves to, a link-local or cloud metadata address (unless
 * `allowPrivateEndpoint`). Checked at create, update and test time for a clear 422; the S3 client's
 * own lookups go through `guardedLookup` too, so a name that later re-resolves there (DNS rebinding)
 * is still refused when a delivery connects.
 */
export async function assertEndpointAllowed(
  config: Pick<S3DestinationConfig, "endpoint" | "allowPrivateEndpoint">,
  resolve: (host: string) => Promise<{ address: string }[]> = (host) => lookupAll(host, { all: true }),
): Promise<void> {
  assertEndpointLiteralAllowed(config);
  if (!config.endpoint || config.allowPrivateEndpoint) return;
  const host = normalizeHost(new URL(config.endpoint).hostname);
  if (isIP(host)) return;
  let addresses: { address: string }[];
  try {
    addresses = await resolve(host);
  } catch (err) {
    throw new HoldfastError("DESTINATION_UNREACHABLE", `The S3 endpoint's name ${host} does not resolve`, { reason: reasonOf(err) });
  }
  for (const { address } of addresses) {
    const reason = refusedAddressReason(address);
    if (reason) throw forbidden(`${host} resolves to ${address}: endpoint ${address} ${reason}`);
  }
}

/** dns.lookup that fails when any answer is refused by `refuse` (an address → why not, or null). */
export function lookupRefusing(refuse: (address: string) => string | null): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, "", 0);
      const refused = addresses.map((a) => refuse(a.address)).find((r) => r !== null);
      if (refused) return callback(Object.assign(new Error(`${hostname}: ${refused}`), { code: ENDPOINT_FORBIDDEN }), "", 0);
      if (options.all) return (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", 0);
      callback(null, first.address, first.family);
    });
  };
}

/** dns.lookup that fails when any answer is a refused address: the S3 client's sockets use it. */
export const guardedLookup: LookupFunction = lookupRefusing(refusedEndpointReason);
