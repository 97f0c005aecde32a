/**
 * Whether a URL's hostname is this machine's loopback: the one place plain http:// and ws:// are
 * allowed without --insecure (the agent's link, its doctor, and the control plane's enrollment
 * commands decide with this same rule). Brackets of an IPv6 literal are ignored.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(host)) return host.startsWith("127.");
  return host === "::1" || /^::ffff:127\./.test(host);
}
