import { Hono } from "hono";
import { CancelRunBody, CopyRunBody, DeleteArtifactQuery, type ErrorCode, HoldfastError, HoldRunBody, ListRunsQuery, RestoreRunBody, RunIdParam, ValidateRunBody } from "@holdfast/shared";
import { copyRun } from "../../artifacts/copy-run.js";
import { deleteArtifact } from "../../artifacts/delete-artifact.js";
import { auditActor, recordAudit } from "../../audit/record-audit.js";
import { downloadArtifact } from "../../artifacts/download-artifact.js";
import type { AppContext } from "../../context.js";
import { listRunDeliveries } from "../../deliveries/list-deliveries.js";
import { cancelRun } from "../../runs/cancel-run.js";
import { getRun } from "../../runs/get-run.js";
import { getRunLogs } from "../../runs/get-run-logs.js";
import { holdRun, releaseRun } from "../../runs/hold-run.js";
import { listRunEvents } from "../../runs/list-run-events.js";
import { listRuns } from "../../runs/list-runs.js";
import { startRestore } from "../../runs/start-restore.js";
import { validateRun } from "../../artifacts/validate-run.js";
import { scoped } from "../middleware.js";
import { jsonBody, params, query } from "../validate.js";
import type { HonoEnv } from "../types.js";
import { artifactResponse, withUnsatisfiableRange } from "./artifact-response.js";

/** `/api/v1/runs…`, mounted by `apiRoutes` behind its authentication and body limit. */
export function runRoutes(ctx: AppContext) {
  return new Hono<HonoEnv>()
    .get("/runs", query(ListRunsQuery), async (c) => c.json(await listRuns(ctx, c.req.valid("query"))))
    .get("/runs/:runId", params(RunIdParam), async (c) => c.json(await getRun(ctx, c.req.valid("param").runId)))
    .get("/runs/:runId/deliveries", params(RunIdParam), async (c) => c.json({ items: await listRunDeliveries(ctx, c.req.valid("param").runId) }))
    .get("/runs/:runId/events", params(RunIdParam), async (c) => c.json({ items: await listRunEvents(ctx, c.req.valid("param").runId) }))
    .get("/runs/:runId/logs", params(RunIdParam), async (c) => c.json(await getRunLogs(scoped(ctx, c), c.req.valid("param").runId)))
    .post("/runs/:runId/restore", params(RunIdParam), jsonBody(RestoreRunBody, "restore request"), async (c) => {
      const { runId } = await startRestore(scoped(ctx, c), { sourceRunId: c.req.valid("param").runId, body: c.req.valid("json"), requestedBy: c.get("user").email });
      return c.json({ runId }, 202);
    })
    .post("/runs/:runId/cancel", params(RunIdParam), jsonBody(CancelRunBody, "cancel request"), async (c) =>
      c.json(await cancelRun(scoped(ctx, c), { runId: c.req.valid("param").runId, requestedBy: c.get("user").email })),
    )
    // hono answers HEAD with this GET route: the headers (size, SHA-256) without reading a byte.
    .get("/runs/:runId/artifact", params(RunIdParam), async (c) => {
      const runId = c.req.valid("param").runId;
      const head = c.req.method === "HEAD";
      // Reading a backup is as sensitive as changing one: every download (not a HEAD) is in the audit log.
      const audit = (status: number, errorCode: ErrorCode | null) =>
        head
          ? Promise.resolve()
          : recordAudit(scoped(ctx, c), { action: "artifact.download", actor: auditActor(c.get("user")), target: { runId }, status, errorCode, clientAddress: c.get("client").address, requestId: c.get("requestId") });
      try {
        const { status, headers, body } = await withUnsatisfiableRange(c, () =>
          downloadArtifact(scoped(ctx, c), { runId, range: c.req.header("range"), ifRange: c.req.header("if-range"), head }),
        );
        await audit(status, null);
        return artifactResponse(c, status, headers, body);
      } catch (err) {
        if (err instanceof HoldfastError) await audit(err.status, err.code);
        throw err;
      }
    })
    .post("/runs/:runId/validate", params(RunIdParam), jsonBody(ValidateRunBody, "validate request"), async (c) =>
      c.json(await validateRun(scoped(ctx, c), c.req.valid("param").runId, c.req.valid("json"))),
    )
    .post("/runs/:runId/copies", params(RunIdParam), jsonBody(CopyRunBody, "copy request"), async (c) =>
      c.json(await copyRun(scoped(ctx, c), c.req.valid("param").runId, c.req.valid("json").destinationId), 202),
    )
    // A legal hold: admin only (route-roles.ts); both calls land in the audit log with the audit trail's other mutations.
    .post("/runs/:runId/hold", params(RunIdParam), jsonBody(HoldRunBody, "hold request"), async (c) =>
      c.json(await holdRun(scoped(ctx, c), { runId: c.req.valid("param").runId, reason: c.req.valid("json").reason, heldBy: c.get("user").email })),
    )
    .delete("/runs/:runId/hold", params(RunIdParam), async (c) => c.json(await releaseRun(scoped(ctx, c), { runId: c.req.valid("param").runId, releasedBy: c.get("user").email })))
    .delete("/runs/:runId/artifact", params(RunIdParam), query(DeleteArtifactQuery), async (c) =>
      c.json(await deleteArtifact(scoped(ctx, c), { runId: c.req.valid("param").runId, force: c.req.valid("query").force, deletedBy: c.get("user").email })),
    );
}
