import { HoldfastError } from "@holdfast/shared";
import type { Context } from "hono";
import { Registry } from "prom-client";
import type { AppContext } from "../context.js";
import { constantTimeEqual, sha256Hex } from "../crypto.js";
import { directFromLoopback } from "../http/client-address.js";
import type { HonoEnv } from "../http/types.js";
import { catalogueRegistry } from "./catalogue-series.js";
import { metrics, processRegistry } from "./process-series.js";

/**
 * Whether this request may scrape: with `Authorization: Bearer <HOLDFAST_METRICS_TOKEN>`, or from
 * this host directly (not relayed by a trusted proxy). Compared as hashes, so neither the token's
 * bytes nor its length leak through timing.
 */
function mayScrape(ctx: AppContext, c: Context<HonoEnv>): boolean {
  const header = c.req.header("authorization") ?? "";
  const token = ctx.env.metricsToken;
  if (token !== undefined && header.startsWith("Bearer ") && constantTimeEqual(sha256Hex(header.slice(7)), sha256Hex(token))) return true;
  return directFromLoopback(c.env?.incoming?.socket, ctx.env.trustedProxies);
}

/** `GET /metrics`: Prometheus text of the process's counters and the catalogue's gauges. */
export function metricsHandler(ctx: AppContext) {
  // Built at the first scrape: the app is created before the context is complete (and, for the API doc, without a database).
  let catalogue: Registry | undefined;
  return async (c: Context<HonoEnv>) => {
    if (!mayScrape(ctx, c)) {
      metrics.refusedAuthentications.inc({ credential: "metrics_token", code: "UNAUTHENTICATED" });
      throw new HoldfastError(
        "UNAUTHENTICATED",
        ctx.env.metricsToken === undefined ? "Metrics are served to loopback only until HOLDFAST_METRICS_TOKEN is set" : "Send Authorization: Bearer <HOLDFAST_METRICS_TOKEN>",
      );
    }
    catalogue ??= catalogueRegistry(ctx);
    const merged = Registry.merge([processRegistry, catalogue]);
    return c.body(await merged.metrics(), 200, { "content-type": merged.contentType, "cache-control": "no-store" });
  };
}
