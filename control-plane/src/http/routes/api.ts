import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HoldfastError } from "@holdfast/shared";
import { listAgents } from "../../agents/list-agents.js";
import { revokeAgent } from "../../agents/revoke-agent.js";
import type { AppContext } from "../../context.js";
import { createDatasource } from "../../datasources/create-datasource.js";
import { listDatasources } from "../../datasources/list-datasources.js";
import { testDatasource } from "../../datasources/test-datasource.js";
import { createDestination, listDestinations } from "../../destinations/create-destination.js";
import { getRun } from "../../runs/get-run.js";
import { startBackup } from "../../runs/start-backup.js";
import { authenticate, readJson, requireRole } from "../middleware.js";
import type { HonoEnv } from "../types.js";

/** `/api/v1`: one domain call per route; parsing happens in the domain function with shared schemas. */
export function apiRoutes(ctx: AppContext) {
  return new Hono<HonoEnv>()
    .use(
      "*",
      bodyLimit({
        maxSize: 1024 * 1024,
        onError: () => {
          throw new HoldfastError("PAYLOAD_TOO_LARGE", "The request body is larger than 1 MiB");
        },
      }),
      authenticate(ctx),
    )
    .get("/agents", async (c) => c.json({ items: await listAgents(ctx) }))
    .post("/agents/:id/revoke", async (c) => {
      requireRole(c, "admin");
      const id = c.req.param("id");
      await revokeAgent(ctx, id);
      return c.json({ id, status: "revoked" as const });
    })
    .post("/datasources", async (c) => c.json(await createDatasource(ctx, await readJson(c)), 201))
    .get("/datasources", async (c) => c.json({ items: await listDatasources(ctx) }))
    .post("/datasources/:id/test", async (c) => c.json(await testDatasource(ctx, c.req.param("id"))))
    .post("/datasources/:id/backups", async (c) => {
      const { runId } = await startBackup(ctx, { datasourceId: c.req.param("id"), body: await readJson(c), requestedBy: c.get("user").email });
      return c.json({ runId }, 202);
    })
    .post("/destinations", async (c) => c.json(await createDestination(ctx, await readJson(c)), 201))
    .get("/destinations", async (c) => c.json({ items: await listDestinations(ctx) }))
    .get("/runs/:runId", async (c) => c.json(await getRun(ctx, c.req.param("runId"))));
}
