import { lookup } from "node:dns";
import { lookup as lookupAll } from "node:dns/promises";
import { isIP, type LookupFunction } from "node:net";
import { HoldfastError, refusedEndpointReason, type S3DestinationConfig } from "@holdfast/shared";
import { reasonOf } from "./failures.js";

/** The code our guarded lookup fails with, so the S3 error mapping can tell it apart. */
export const ENDPOINT_FORBIDDEN = "EHOLDFAST_ENDPOINT_FORBIDDEN";

function forbidden(reason: string): HoldfastError {
  return new HoldfastError("DESTINATION_ENDPOINT_FORBIDDEN", `Refused the S3 endpoint: ${reason}`, { reason });
}

/**
 * Refuses an S3 endpoint that is, or resolves to, a link-local or cloud metadata address (unless
 * `allowPrivateEndpoint`). Checked at create, update and test time for a clear 4xx; the S3 client's
 * own lookups go through `guardedLookup` too, so a name that later re-resolves there (DNS rebinding)
 * is still refused when a delivery connects.
 */
export async function assertEndpointAllowed(
  config: Pick<S3DestinationConfig, "endpoint" | "allowPrivateEndpoint">,
  resolve: (host: string) => Promise<{ address: string }[]> = (host) => lookupAll(host, { all: true }),
): Promise<void> {
  if (!config.endpoint || config.allowPrivateEndpoint) return;
  const host = new URL(config.endpoint).hostname.replace(/^\[|\]$/g, "");
  const literal = refusedEndpointReason(host);
  if (literal) throw forbidden(literal);
  if (isIP(host)) return;
  let addresses: { address: string }[];
  try {
    addresses = await resolve(host);
  } catch (err) {
    throw new HoldfastError("DESTINATION_UNREACHABLE", `The S3 endpoint's name ${host} does not resolve`, { reason: reasonOf(err) });
  }
  for (const { address } of addresses) {
    const reason = refusedEndpointReason(address);
    if (reason) throw forbidden(`${host} resolves to ${address}: ${reason}`);
  }
}

/** dns.lookup that fails when any answer is a refused address: the S3 client's sockets use it. */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, "", 0);
    const refused = addresses.map((a) => refusedEndpointReason(a.address)).find((r) => r !== null);
    if (refused) return callback(Object.assign(new Error(`${hostname}: ${refused}`), { code: ENDPOINT_FORBIDDEN }), "", 0);
    if (options.all) return (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: "ENOTFOUND" }), "", 0);
    callback(null, first.address, first.family);
  });
};
