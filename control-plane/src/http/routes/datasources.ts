import { Hono } from "hono";
import { CreateDatasourceBody, HealthHistoryQuery, IdParam, ListDatasourcesQuery, StartBackupBody, UpdateDatasourceBody } from "@holdfast/shared";
import type { AppContext } from "../../context.js";
import { createDatasource } from "../../datasources/create-datasource.js";
import { deleteDatasource } from "../../datasources/delete-datasource.js";
import { getDatasource } from "../../datasources/get-datasource.js";
import { listDatabases } from "../../datasources/list-databases.js";
import { listDatasources } from "../../datasources/list-datasources.js";
import { preflightDatasource } from "../../datasources/preflight-datasource.js";
import { testDatasource } from "../../datasources/test-datasource.js";
import { updateDatasource } from "../../datasources/update-datasource.js";
import { healthSummaries } from "../../health/health-records.js";
import { getDatasourceHealth } from "../../health/health-views.js";
import { startBackup } from "../../runs/start-backup.js";
import { auditActor, recordAudit } from "../../audit/record-audit.js";
import { describeBlackout } from "../../blackout/firing-plan.js";
import { scoped } from "../middleware.js";
import { jsonBody, params, query } from "../validate.js";
import type { HonoEnv } from "../types.js";

/** `/api/v1/datasources…`, mounted by `apiRoutes` behind its authentication and body limit. */
export function datasourceRoutes(ctx: AppContext) {
  return new Hono<HonoEnv>()
    .post("/datasources", jsonBody(CreateDatasourceBody, "datasource"), async (c) => c.json(await createDatasource(scoped(ctx, c), c.req.valid("json")), 201))
    .get("/datasources", query(ListDatasourcesQuery), async (c) => {
      const items = await listDatasources(ctx, c.req.valid("query"));
      const health = await healthSummaries(ctx, items.map((d) => d.id));
      return c.json({ items: items.map((d) => ({ ...d, health: health.get(d.id)! })) });
    })
    .get("/datasources/:id", params(IdParam), async (c) => {
      const ds = await getDatasource(ctx, c.req.valid("param").id);
      return c.json({ ...ds, health: (await healthSummaries(ctx, [ds.id])).get(ds.id)! });
    })
    .patch("/datasources/:id", params(IdParam), jsonBody(UpdateDatasourceBody, "datasource update"), async (c) =>
      c.json(await updateDatasource(scoped(ctx, c), c.req.valid("param").id, c.req.valid("json"))),
    )
    .delete("/datasources/:id", params(IdParam), async (c) => c.json(await deleteDatasource(scoped(ctx, c), c.req.valid("param").id)))
    .post("/datasources/:id/test", params(IdParam), async (c) => c.json(await testDatasource(scoped(ctx, c), c.req.valid("param").id)))
    .post("/datasources/:id/preflight", params(IdParam), async (c) => c.json(await preflightDatasource(scoped(ctx, c), c.req.valid("param").id)))
    .get("/datasources/:id/health", params(IdParam), query(HealthHistoryQuery), async (c) => c.json(await getDatasourceHealth(ctx, c.req.valid("param").id, c.req.valid("query").limit)))
    .get("/datasources/:id/databases", params(IdParam), async (c) => c.json(await listDatabases(scoped(ctx, c), c.req.valid("param").id)))
    .post("/datasources/:id/backups", params(IdParam), jsonBody(StartBackupBody, "backup request"), async (c) => {
      const datasourceId = c.req.valid("param").id;
      const { runId, forced } = await startBackup(scoped(ctx, c), { datasourceId, body: c.req.valid("json"), requestedBy: c.get("user").email });
      if (forced) {
        // The request's own record (audit-trail.ts) says `force` was sent; this one says it went through a window, which one.
        const target = { datasourceId, runId, blackoutWindow: describeBlackout(forced.hit).text };
        await recordAudit(scoped(ctx, c), { action: "backup.forcedInBlackout", actor: auditActor(c.get("user")), target, status: 202, clientAddress: c.get("client").address, requestId: c.get("requestId") });
      }
      return c.json({ runId }, 202);
    });
}
