import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HoldfastError } from "@holdfast/shared";
import { getAgentHealth } from "../../agents/get-agent-health.js";
import { getAgentQueue } from "../../agents/get-agent-queue.js";
import { listAgents } from "../../agents/list-agents.js";
import { revokeAgent } from "../../agents/revoke-agent.js";
import type { AppContext } from "../../context.js";
import { createDatasource } from "../../datasources/create-datasource.js";
import { listDatabases } from "../../datasources/list-databases.js";
import { listDatasources } from "../../datasources/list-datasources.js";
import { preflightDatasource } from "../../datasources/preflight-datasource.js";
import { testDatasource } from "../../datasources/test-datasource.js";
import { listRunDeliveries } from "../../deliveries/list-deliveries.js";
import { createDestination } from "../../destinations/create-destination.js";
import { deleteDestination } from "../../destinations/delete-destination.js";
import { getDestination, listDestinations } from "../../destinations/get-destination.js";
import { testDestination } from "../../destinations/test-destination.js";
import { updateDestination } from "../../destinations/update-destination.js";
import { previewRetention } from "../../retention/preview-retention.js";
import { cancelRun } from "../../runs/cancel-run.js";
import { getRun } from "../../runs/get-run.js";
import { getRunLogs } from "../../runs/get-run-logs.js";
import { listRunEvents } from "../../runs/list-run-events.js";
import { listRuns } from "../../runs/list-runs.js";
import { startBackup } from "../../runs/start-backup.js";
import { startRestore } from "../../runs/start-restore.js";
import { createSchedule, deleteSchedule, getSchedule, listSchedules, nextScheduleFirings, updateSchedule } from "../../schedules/index.js";
import { getStats } from "../../stats/get-stats.js";
import { authenticate, readJson, readOptionalJson, requireRole, scoped } from "../middleware.js";
import type { HonoEnv } from "../types.js";

/**
 * `/api/v1`: one domain call per route; parsing happens in the domain function with shared schemas.
 * GET needs `viewer`, anything else `operator` (authenticate); admin-only routes say so.
 */
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
      await revokeAgent(scoped(ctx, c), id);
      return c.json({ id, status: "revoked" as const });
    })
    .get("/agents/:id/queue", async (c) => c.json(await getAgentQueue(scoped(ctx, c), c.req.param("id"))))
    .get("/agents/:id/health", async (c) => c.json(await getAgentHealth(scoped(ctx, c), c.req.param("id"))))
    .post("/datasources", async (c) => c.json(await createDatasource(scoped(ctx, c), await readJson(c)), 201))
    .get("/datasources", async (c) => c.json({ items: await listDatasources(ctx) }))
    .post("/datasources/:id/test", async (c) => c.json(await testDatasource(scoped(ctx, c), c.req.param("id"))))
    .post("/datasources/:id/preflight", async (c) => c.json(await preflightDatasource(scoped(ctx, c), c.req.param("id"))))
    .get("/datasources/:id/databases", async (c) => c.json(await listDatabases(scoped(ctx, c), c.req.param("id"))))
    .post("/datasources/:id/backups", async (c) => {
      const { runId } = await startBackup(scoped(ctx, c), { datasourceId: c.req.param("id"), body: await readJson(c), requestedBy: c.get("user").email });
      return c.json({ runId }, 202);
    })
    .post("/destinations", async (c) => c.json(await createDestination(scoped(ctx, c), await readJson(c)), 201))
    .get("/destinations", async (c) => c.json({ items: await listDestinations(ctx) }))
    .get("/destinations/:id", async (c) => c.json(await getDestination(ctx, c.req.param("id"))))
    .patch("/destinations/:id", async (c) => c.json(await updateDestination(scoped(ctx, c), c.req.param("id"), await readJson(c))))
    .delete("/destinations/:id", async (c) => {
      await deleteDestination(scoped(ctx, c), c.req.param("id"));
      return c.body(null, 204);
    })
    .post("/destinations/:id/test", async (c) => c.json(await testDestination(scoped(ctx, c), c.req.param("id"))))
    .post("/schedules", async (c) => c.json(await createSchedule(scoped(ctx, c), await readJson(c)), 201))
    .get("/schedules", async (c) => c.json({ items: await listSchedules(ctx) }))
    .get("/schedules/:id", async (c) => c.json(await getSchedule(ctx, c.req.param("id"))))
    .patch("/schedules/:id", async (c) => c.json(await updateSchedule(scoped(ctx, c), c.req.param("id"), await readJson(c))))
    .delete("/schedules/:id", async (c) => {
      await deleteSchedule(scoped(ctx, c), c.req.param("id"));
      return c.body(null, 204);
    })
    .post("/schedules/:id/pause", async (c) => c.json(await updateSchedule(scoped(ctx, c), c.req.param("id"), { paused: true })))
    .post("/schedules/:id/resume", async (c) => c.json(await updateSchedule(scoped(ctx, c), c.req.param("id"), { paused: false })))
    .get("/schedules/:id/next", async (c) => c.json(await nextScheduleFirings(ctx, c.req.param("id"), c.req.query("count"))))
    .get("/runs", async (c) => c.json(await listRuns(ctx, c.req.query())))
    .get("/runs/:runId", async (c) => c.json(await getRun(ctx, c.req.param("runId"))))
    .get("/runs/:runId/deliveries", async (c) => c.json({ items: await listRunDeliveries(ctx, c.req.param("runId")) }))
    .get("/stats", async (c) => c.json(await getStats(ctx, c.req.query())))
    .get("/runs/:runId/events", async (c) => c.json({ items: await listRunEvents(ctx, c.req.param("runId")) }))
    .get("/runs/:runId/logs", async (c) => c.json(await getRunLogs(scoped(ctx, c), c.req.param("runId"))))
    .post("/runs/:runId/restore", async (c) => {
      const { runId } = await startRestore(scoped(ctx, c), { sourceRunId: c.req.param("runId"), body: await readJson(c), requestedBy: c.get("user").email });
      return c.json({ runId }, 202);
    })
    .post("/runs/:runId/cancel", async (c) =>
      c.json(await cancelRun(scoped(ctx, c), { runId: c.req.param("runId"), body: await readOptionalJson(c), requestedBy: c.get("user").email })),
    )
    .get("/schedules/:id/retention/preview", async (c) => c.json(await previewRetention(ctx, c.req.param("id"))));
}
