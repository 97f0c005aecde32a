import { Hono } from "hono";
import type { AppContext } from "../context.js";
import { serveConsole } from "./console.js";
import { errorHandler, notFound, requestContext } from "./middleware.js";
import { checkReadiness } from "../health/readiness.js";
import { metricsHandler } from "../metrics/metrics-route.js";
import { installRoutes } from "../install-packages/install-routes.js";
import { agentRoutes } from "./routes/agent.js";
import { apiRoutes } from "./routes/api.js";
import { eventRoutes } from "./routes/events.js";
import { referenceRoutes } from "./routes/reference.js";
import type { HonoEnv } from "./types.js";

export interface AppOptions {
  /** The built console (`web/dist`); beside the control plane's package by default (console.ts). */
  consoleDir?: string;
}

/**
 * The HTTP application. Routes are chained so `AppType` carries them all for `hc<AppType>()`; the
 * console is served last, so it never shadows a route and the API's unknown paths keep their JSON 404.
 */
export function createApp(ctx: AppContext, options: AppOptions = {}) {
  const app = new Hono<HonoEnv>();
  app.use("*", requestContext(ctx));
  app.onError(errorHandler(ctx));
  app.notFound(notFound);
  // Mounted after apiRoutes, so its authentication (a `use("*")` under /api/v1) runs before them too.
  return app
    .route("/api/v1", apiRoutes(ctx))
    .route("/api/v1", eventRoutes(ctx))
    .route("/api/v1", referenceRoutes(() => app.routes))
    .route("/agent/v1", agentRoutes(ctx))
    .get("/healthz", (c) => c.json({ ok: true as const }))
    .get("/readyz", async (c) => {
      await checkReadiness(ctx);
      return c.json({ ok: true as const });
    })
    // Prometheus text, outside /api/v1 like the probes: its own bearer token, or loopback (metrics/).
    .get("/metrics", metricsHandler(ctx))
    // The install script, manifest and agent packages: public, they hold no secret (install-packages/).
    .route("/install", installRoutes(ctx))
    .use(serveConsole(options.consoleDir));
}

export type AppType = ReturnType<typeof createApp>;
