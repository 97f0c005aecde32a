/**
 * Which S3 endpoints are refused unless the operator opts in (`allowPrivateEndpoint`): the cloud
 * metadata services and link-local addresses. A destination the control plane connects to is a
 * server-side request, so an endpoint pointing there would read the host's cloud credentials (SSRF).
 * Loopback and private LAN addresses stay allowed: a MinIO next door is the common case.
 *
 * Only names are judged here, so the schema stays free of Node modules (a browser can use it). The
 * addresses (literal, or what a name resolves to, in every IPv6 spelling that reaches an IPv4 one)
 * are judged by the control plane with `net.BlockList` (`control-plane/src/destinations/endpoint-guard.ts`).
 */

/** Names of cloud metadata services. */
const METADATA_NAMES = new Set(["metadata.google.internal"]);

/** The hostname as URLs carry it, compared: no brackets, no trailing dot, lower case. */
export function normalizeHost(host: string): string {
  return host.trim().toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
}

/** Why this host name may not be an S3 endpoint, or null when its name alone does not say. */
export function refusedEndpointName(host: string): string | null {
  return METADATA_NAMES.has(normalizeHost(host)) ? `endpoint ${host} is a cloud metadata service` : null;
}
