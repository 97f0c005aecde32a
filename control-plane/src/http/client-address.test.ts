import { describe, expect, it } from "vitest";
import { clientInfo, directFromLoopback, parseTrustedProxies } from "./client-address.js";

const headers = (h: Record<string, string>) => (name: string) => h[name];

describe("clientInfo", () => {
  it("is the socket's peer when no proxy is trusted, whatever the headers claim", () => {
    const info = clientInfo({ remoteAddress: "203.0.113.9" }, headers({ "x-forwarded-for": "198.51.100.1", "x-forwarded-proto": "https" }), null);
    expect(info).toEqual({ address: "203.0.113.9", tls: false });
  });

  it("believes a trusted proxy: the right-most address it did not add itself, and its scheme", () => {
    const proxies = parseTrustedProxies("10.0.0.0/8, ::1");
    const spoofed = headers({ "x-forwarded-for": "1.2.3.4, 198.51.100.7, 10.1.1.1", "x-forwarded-proto": "https" });
    expect(clientInfo({ remoteAddress: "10.0.0.2" }, spoofed, proxies)).toEqual({ address: "198.51.100.7", tls: true });
    expect(clientInfo({ remoteAddress: "::ffff:10.0.0.2" }, spoofed, proxies).address).toBe("198.51.100.7");
    expect(clientInfo({ remoteAddress: "::1" }, headers({ "x-forwarded-proto": "http" }), proxies)).toEqual({ address: "::1", tls: false });
  });

  it("ignores the headers of an untrusted peer and a direct TLS socket says tls", () => {
    const proxies = parseTrustedProxies("10.0.0.1");
    expect(clientInfo({ remoteAddress: "10.0.0.9", encrypted: true }, headers({ "x-forwarded-for": "8.8.8.8", "x-forwarded-proto": "http" }), proxies)).toEqual({
      address: "10.0.0.9",
      tls: true,
    });
  });

  it("refuses a setting that is not an address or range", () => {
    expect(() => parseTrustedProxies("10.0.0.0/33")).toThrow(/HOLDFAST_TRUSTED_PROXIES/);
    expect(() => parseTrustedProxies("proxy.local")).toThrow(/not an address/);
    expect(parseTrustedProxies(" ")).toBeNull();
  });
});

describe("directFromLoopback (who may scrape /metrics without its token)", () => {
  it("is this host's own connections, in either family, unless a trusted proxy relayed them", () => {
    for (const peer of ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"]) expect(directFromLoopback({ remoteAddress: peer }, null), peer).toBe(true);
    for (const peer of ["10.0.0.1", "::ffff:10.0.0.1", "203.0.113.9", "fe80::1", "unknown"]) expect(directFromLoopback({ remoteAddress: peer }, null), peer).toBe(false);
    expect(directFromLoopback(undefined, null)).toBe(false);
    // A proxy on the same host: everything it relays would look local.
    expect(directFromLoopback({ remoteAddress: "127.0.0.1" }, parseTrustedProxies("127.0.0.1"))).toBe(false);
    expect(directFromLoopback({ remoteAddress: "::1" }, parseTrustedProxies("10.0.0.0/8"))).toBe(true);
  });
});
