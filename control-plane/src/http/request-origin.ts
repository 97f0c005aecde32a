import { HoldfastError } from "@holdfast/shared";
import type { Context } from "hono";
import type { HonoEnv } from "./types.js";

// A host name or address and an optional port: nothing a shell or a URL would read as more.
const HOST = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/;

/**
 * The URL the client reached this control plane at (`https://holdfast.example.com`), from the Host
 * header and whether the request came over TLS (directly or, from a trusted proxy, as its
 * X-Forwarded-Proto said): what a host it enrolls should dial. A Host that is not a host name is
 * VALIDATION_FAILED rather than a command that would dial somewhere else.
 */
export function requestOrigin(c: Context<HonoEnv>): string {
  const host = c.req.header("host") ?? new URL(c.req.url).host;
  if (!HOST.test(host)) {
    throw new HoldfastError("VALIDATION_FAILED", `The Host header "${host.slice(0, 100)}" is not a host name: call the control plane by its name or address`, {
      issues: [{ path: "host", message: "not a host name" }],
    });
  }
  return `${c.get("client")?.tls ? "https" : "http"}://${host}`;
}
