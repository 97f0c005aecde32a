import { Hono } from "hono";
import type { AppContext } from "../context.js";
import { SETUP_PAGE, SETUP_PAGE_HEADERS } from "../setup/setup-page.js";
import { errorHandler, notFound, requestContext } from "./middleware.js";
import { checkReadiness } from "../health/readiness.js";
import { agentRoutes } from "./routes/agent.js";
import { apiRoutes } from "./routes/api.js";
import { eventRoutes } from "./routes/events.js";
import { referenceRoutes } from "./routes/reference.js";
import type { HonoEnv } from "./types.js";

const HOME = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Holdfast</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>Holdfast control plane</h1>
<p>The console comes later. Until then, use the REST API under <code>/api/v1</code> with an API token:</p>
<pre>holdfast user create --email you@example.com --role admin --password-stdin
holdfast api-token create --email you@example.com
curl -H "Authorization: Bearer hf_api_…" http://HOST/api/v1/agents</pre>
<p>Enroll a host with <code>holdfast token create</code>, then <code>holdfast-agent enroll --server URL</code> on that host.</p>
</body></html>`;

/** The HTTP application. Routes are chained so `AppType` carries them all for `hc<AppType>()`. */
export function createApp(ctx: AppContext) {
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
    .get("/setup", (c) => c.html(SETUP_PAGE, 200, SETUP_PAGE_HEADERS))
    .get("/readyz", async (c) => {
      await checkReadiness(ctx);
      return c.json({ ok: true as const });
    })
    .get("/", (c) => c.html(HOME));
}

export type AppType = ReturnType<typeof createApp>;
