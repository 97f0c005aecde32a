import { BlockList, isIP } from "node:net";
import type { TLSSocket } from "node:tls";
import { HoldfastError } from "@holdfast/shared";

/** Who sent a request: the client's address and whether it reached us (or our proxy) over TLS. */
export interface ClientInfo {
  address: string;
  /** True when the connection was TLS, directly or (from a trusted proxy) as its X-Forwarded-Proto said. */
  tls: boolean;
}

/**
 * The proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed (`HOLDFAST_TRUSTED_PROXIES`:
 * addresses or CIDR ranges, comma-separated). Without any, the socket's peer is the client, so a
 * client cannot pick the address its sign-in failures are counted against.
 */
export function parseTrustedProxies(spec: string | undefined): BlockList | null {
  const items = (spec ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) return null;
  const list = new BlockList();
  for (const item of items) {
    const [addr, bits, extra] = item.split("/");
    const family = addr ? isIP(addr) : 0;
    const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
    if (!addr || family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
      throw new HoldfastError("VALIDATION_FAILED", `HOLDFAST_TRUSTED_PROXIES: "${item}" is not an address or a CIDR range (10.0.0.0/8, ::1)`, { setting: "HOLDFAST_TRUSTED_PROXIES" });
    }
    list.addSubnet(addr, prefix, family === 6 ? "ipv6" : "ipv4");
  }
  return list;
}

function trusted(list: BlockList, address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (list.check(address, family === 6 ? "ipv6" : "ipv4")) return true;
  // A v4 peer on a dual-stack socket shows as ::ffff:a.b.c.d; a list written in v4 still matches it.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] !== undefined && list.check(mapped[1], "ipv4");
}

/**
 * The client of a request. The socket's peer, unless that peer is a trusted proxy: then the
 * right-most `X-Forwarded-For` entry that is not itself a trusted proxy (entries further left were
 * written by whoever the client is, and may be lies), and the scheme the nearest proxy reported.
 */
export function clientInfo(
  socket: { remoteAddress?: string | undefined; encrypted?: boolean } | undefined,
  header: (name: string) => string | undefined,
  proxies: BlockList | null,
): ClientInfo {
  const peer = socket?.remoteAddress ?? "unknown";
  const direct: ClientInfo = { address: peer, tls: Boolean((socket as TLSSocket | undefined)?.encrypted) };
  if (!proxies || !trusted(proxies, peer)) return direct;
  const hops = (header("x-forwarded-for") ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  let address = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) break;
    address = hop;
    if (!trusted(proxies, hop)) break;
  }
  const proto = (header("x-forwarded-proto") ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean).pop();
  return { address, tls: proto === undefined ? direct.tls : proto === "https" };
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/**
 * Whether the socket's peer is this host and no trusted proxy relayed the request: a proxy on the
 * same host would make every client on the network look local.
 */
export function directFromLoopback(socket: { remoteAddress?: string | undefined } | undefined, proxies: BlockList | null): boolean {
  const peer = socket?.remoteAddress ?? "";
  if (proxies && trusted(proxies, peer)) return false;
  if (isIP(peer) === 6 && LOOPBACK.check(peer, "ipv6")) return true;
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(peer)?.[1] ?? peer;
  return isIP(v4) === 4 && LOOPBACK.check(v4, "ipv4");
}
