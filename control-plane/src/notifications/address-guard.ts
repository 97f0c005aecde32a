import { lookup as lookupAll } from "node:dns/promises";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { HoldfastError, normalizeHost } from "@holdfast/shared";
import { lookupRefusing, refusedEndpointReason } from "../destinations/endpoint-guard.js";

/**
 * Where a notification may connect. A channel's URL or SMTP host is a server-side request like an S3
 * endpoint, so the S3 endpoint guard's rule applies always (no link-local, no cloud metadata); a
 * self-hosted receiver on loopback or the LAN is allowed unless HOLDFAST_NOTIFY_STRICT_ADDRESSES is
 * on. Checked when a channel is saved or tested (a clear 422), and again by every send's own DNS
 * lookup, so a name that re-resolves later (DNS rebinding) is still refused when it connects.
 */

/** Loopback, private, shared (CGNAT) and unspecified ranges: refused only in strict mode. */
const STRICT = new BlockList();
for (const [net, prefix] of [["0.0.0.0", 8], ["10.0.0.0", 8], ["100.64.0.0", 10], ["127.0.0.0", 8], ["172.16.0.0", 12], ["192.168.0.0", 16]] as const) {
  STRICT.addSubnet(net, prefix, "ipv4");
}
STRICT.addAddress("::1", "ipv6");
STRICT.addAddress("::", "ipv6");
STRICT.addSubnet("fc00::", 7, "ipv6");

/** Why a notification may not connect to this host or address, or null when it may. */
export function refusedNotifyAddress(host: string, strict: boolean): string | null {
  const always = refusedEndpointReason(host);
  if (always || !strict) return always;
  const ip = normalizeHost(host).replace(/%.*$/, "");
  const family = isIP(ip);
  if (family === 0) return null;
  return STRICT.check(ip, family === 4 ? "ipv4" : "ipv6") ? `${host} is a loopback or private address (HOLDFAST_NOTIFY_STRICT_ADDRESSES is on)` : null;
}

export function forbiddenTarget(reason: string): HoldfastError {
  return new HoldfastError("NOTIFICATION_ENDPOINT_FORBIDDEN", `Refused the notification target: ${reason}`, { reason }, false);
}

/**
 * Refuses a host that is, or resolves to, a forbidden address. A name that does not resolve here is
 * let through: the send's own lookup checks it again, and "Send test" reports why it failed.
 */
export async function assertTargetAllowed(host: string, strict: boolean, resolve = (h: string) => lookupAll(h, { all: true })): Promise<void> {
  const name = normalizeHost(host);
  const literal = refusedNotifyAddress(name, strict);
  if (literal) throw forbiddenTarget(literal);
  if (isIP(name)) return;
  const addresses = await resolve(name).catch(() => [] as { address: string }[]);
  for (const { address } of addresses) {
    const reason = refusedNotifyAddress(address, strict);
    if (reason) throw forbiddenTarget(`${name} resolves to ${address}: ${reason}`);
  }
}

/** The resolved address a send connects to, after every answer was checked (SMTP connects to it by address). */
export async function resolveAllowed(host: string, strict: boolean): Promise<string> {
  const name = normalizeHost(host);
  const literal = refusedNotifyAddress(name, strict);
  if (literal) throw forbiddenTarget(literal);
  if (isIP(name)) return name;
  const addresses = await lookupAll(name, { all: true });
  for (const { address } of addresses) {
    const reason = refusedNotifyAddress(address, strict);
    if (reason) throw forbiddenTarget(`${name} resolves to ${address}: ${reason}`);
  }
  if (!addresses[0]) throw new HoldfastError("NOTIFICATION_SEND_FAILED", `${name} has no address`, { reason: "no address" });
  return addresses[0].address;
}

const lookups = { strict: lookupRefusing((a) => refusedNotifyAddress(a, true)), lax: lookupRefusing((a) => refusedNotifyAddress(a, false)) };

/** The DNS lookup of a send's socket: fails when any answer is refused. */
export const notifyLookup = (strict: boolean): LookupFunction => (strict ? lookups.strict : lookups.lax);
