import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import {
  CreateDestinationBody,
  CreateScheduleBody,
  CronPreviewQuery,
  HoldfastError,
  IdParam,
  NextFiringsQuery,
  RestoreRunBody,
  RetentionPreviewQuery,
  RunIdParam,
  type SessionView,
  SetupBody,
  type SetupStatus,
  SignInBody,
  StartBackupBody,
  StatsQuery,
  UpdateAgentBody,
  UpdateDestinationBody,
  UpdateScheduleBody,
} from "@holdfast/shared";
import { getAgentHealth } from "../../agents/get-agent-health.js";
import { getAgentCapabilities } from "../../agents/get-agent-capabilities.js";
import { getAgentQueue } from "../../agents/get-agent-queue.js";
import { listAgents, showAgent } from "../../agents/list-agents.js";
import { revokeAgent } from "../../agents/revoke-agent.js";
import { updateAgent } from "../../agents/update-agent.js";
import type { AppContext } from "../../context.js";
import { createDestination } from "../../destinations/create-destination.js";
import { deleteDestination } from "../../destinations/delete-destination.js";
import { getDestination, listDestinations } from "../../destinations/get-destination.js";
import { testDestination } from "../../destinations/test-destination.js";
import { updateDestination } from "../../destinations/update-destination.js";
import { destinationHealth } from "../../health/health-views.js";
import { previewRetention } from "../../retention/preview-retention.js";
import { createSchedule, deleteSchedule, getSchedule, listSchedules, nextScheduleFirings, previewFirings, updateSchedule } from "../../schedules/index.js";
import { endSession, sessionView, signIn } from "../../sessions/index.js";
import { anyUserExists, completeSetup } from "../../setup/index.js";
import { getStats } from "../../stats/get-stats.js";
import { auditTrail } from "../audit-trail.js";
import { recordAudit } from "../../audit/record-audit.js";
import { authenticate, scoped } from "../middleware.js";
import { byAddress, byApiToken, rateLimit } from "../rate-limit.js";
import { clearSessionCookie, readSessionCookie, requireCsrf, setSessionCookie } from "../session-cookie.js";
import { jsonBody, params, query } from "../validate.js";
import type { HonoEnv } from "../types.js";
import { adminRoutes } from "./admin.js";
import { userRoutes } from "./users.js";
import { datasourceRoutes } from "./datasources.js";
import { runRoutes } from "./runs.js";
import { storedBackupRoutes } from "./stored-backups.js";
import { ssoRoutes } from "./sso.js";
import { notificationRoutes } from "./notifications.js";

/**
 * `/api/v1`: each route declares the shared schemas of its path, query and body (checked before it
 * runs, typed for `hc<AppType>`) and makes one domain call. Who may call it: `API_ROUTE_ROLES` in
 * shared, enforced by `authenticate`. Every mutating call of an authenticated user is recorded by
 * `auditTrail`. Users, API tokens, enrollment tokens and the audit log are in their own files.
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
      // Before authentication, so a flood of bad credentials costs a row read, not a hash each.
      rateLimit(ctx, ctx.env.rateLimits.apiAddress, "requests from this address", byAddress("api-address")),
      auditTrail(ctx),
      authenticate(ctx),
      rateLimit(ctx, ctx.env.rateLimits.apiToken, "requests with this API token", byApiToken),
    )
    .post("/session", rateLimit(ctx, ctx.env.rateLimits.signIn, "sign-ins from this address", byAddress("sign-in")), jsonBody(SignInBody, "sign-in"), async (c) => {
      const previous = readSessionCookie(c);
      const { token, view } = await signIn(scoped(ctx, c), c.req.valid("json"), c.get("client").address, c.get("requestId"));
      // A sign-in replaces the browser's session: a session id planted before it is worth nothing after.
      if (previous) await endSession(ctx, previous);
      setSessionCookie(c, token, ctx.env.sessionMaxMs);
      return c.json(view, 201);
    })
    .get("/session", async (c) => {
      const credentials = c.get("credentials");
      if (!credentials) return c.json({ signedIn: false } as SessionView);
      const user = c.get("user");
      if (credentials.via === "token") return c.json({ signedIn: true, via: "token", user: { id: user.id, email: user.email, role: user.role } } as SessionView);
      return c.json(sessionView(ctx, credentials.token, { user, session: credentials.session }));
    })
    .delete("/session", async (c) => {
      const credentials = c.get("credentials");
      // Without a live session there is nothing to end (a refused cookie was cleared by authenticate).
      if (credentials?.via === "session") {
        requireCsrf(c, credentials.token);
        await endSession(ctx, credentials.token);
        clearSessionCookie(c);
        c.get("log").info({ userId: c.get("user").id, sessionId: credentials.session.id }, "signed out");
      }
      return c.body(null, 204);
    })
    .get("/setup", async (c) => c.json({ needed: !(await anyUserExists(ctx)) } satisfies SetupStatus))
    .post("/setup", jsonBody(SetupBody, "setup"), async (c) => {
      const user = await completeSetup(ctx, c.req.valid("json"));
      c.get("log").info({ userId: user.id, email: user.email, address: c.get("client").address }, "first admin created");
      await recordAudit(scoped(ctx, c), { action: "setup.firstAdmin", actor: null, target: { userId: user.id }, status: 201, clientAddress: c.get("client").address, requestId: c.get("requestId") });
      return c.json({ user }, 201);
    })
    .get("/agents", async (c) => c.json({ items: await listAgents(ctx) }))
    .get("/agents/:id", params(IdParam), async (c) => c.json(await showAgent(ctx, c.req.valid("param").id)))
    .patch("/agents/:id", params(IdParam), jsonBody(UpdateAgentBody, "agent update"), async (c) =>
      c.json(await updateAgent(scoped(ctx, c), c.req.valid("param").id, c.req.valid("json"))),
    )
    .post("/agents/:id/revoke", params(IdParam), async (c) => {
      const { id } = c.req.valid("param");
      await revokeAgent(scoped(ctx, c), id);
      return c.json({ id, status: "revoked" as const });
    })
    .get("/agents/:id/queue", params(IdParam), async (c) => c.json(await getAgentQueue(scoped(ctx, c), c.req.valid("param").id)))
    .get("/agents/:id/health", params(IdParam), async (c) => c.json(await getAgentHealth(scoped(ctx, c), c.req.valid("param").id)))
    .get("/agents/:id/capabilities", params(IdParam), async (c) => c.json(await getAgentCapabilities(scoped(ctx, c), c.req.valid("param").id)))
    .post("/destinations", jsonBody(CreateDestinationBody, "destination"), async (c) => c.json(await createDestination(scoped(ctx, c), c.req.valid("json")), 201))
    .get("/destinations", async (c) => {
      const items = await listDestinations(ctx);
      const health = await destinationHealth(ctx, items);
      return c.json({ items: items.map((d) => ({ ...d, health: health.get(d.id)! })) });
    })
    .get("/destinations/:id", params(IdParam), async (c) => {
      const dest = await getDestination(ctx, c.req.valid("param").id);
      return c.json({ ...dest, health: (await destinationHealth(ctx, [dest])).get(dest.id)! });
    })
    .patch("/destinations/:id", params(IdParam), jsonBody(UpdateDestinationBody, "destination update"), async (c) =>
      c.json(await updateDestination(scoped(ctx, c), c.req.valid("param").id, c.req.valid("json"))),
    )
    .delete("/destinations/:id", params(IdParam), async (c) => {
      await deleteDestination(scoped(ctx, c), c.req.valid("param").id);
      return c.body(null, 204);
    })
    .post("/destinations/:id/test", params(IdParam), async (c) => c.json(await testDestination(scoped(ctx, c), c.req.valid("param").id)))
    .post("/schedules", jsonBody(CreateScheduleBody, "schedule"), async (c) => c.json(await createSchedule(scoped(ctx, c), c.req.valid("json")), 201))
    .get("/schedules", async (c) => c.json({ items: await listSchedules(ctx) }))
    // Before `/schedules/:id`, which would read `preview` as an id.
    .get("/schedules/preview", query(CronPreviewQuery), async (c) => c.json(await previewFirings(ctx, c.req.valid("query"))))
    .get("/schedules/:id", params(IdParam), async (c) => c.json(await getSchedule(ctx, c.req.valid("param").id)))
    .patch("/schedules/:id", params(IdParam), jsonBody(UpdateScheduleBody, "schedule"), async (c) =>
      c.json(await updateSchedule(scoped(ctx, c), c.req.valid("param").id, c.req.valid("json"))),
    )
    .delete("/schedules/:id", params(IdParam), async (c) => {
      await deleteSchedule(scoped(ctx, c), c.req.valid("param").id);
      return c.body(null, 204);
    })
    .post("/schedules/:id/pause", params(IdParam), async (c) => c.json(await updateSchedule(scoped(ctx, c), c.req.valid("param").id, { paused: true })))
    .post("/schedules/:id/resume", params(IdParam), async (c) => c.json(await updateSchedule(scoped(ctx, c), c.req.valid("param").id, { paused: false })))
    .get("/schedules/:id/next", params(IdParam), query(NextFiringsQuery), async (c) => c.json(await nextScheduleFirings(ctx, c.req.valid("param").id, c.req.valid("query"))))
    .get("/stats", query(StatsQuery), async (c) => c.json(await getStats(ctx, c.req.valid("query"))))
    .get("/schedules/:id/retention/preview", params(IdParam), query(RetentionPreviewQuery), async (c) =>
      c.json(await previewRetention(ctx, c.req.valid("param").id, c.req.valid("query"))),
    )
    .route("/", datasourceRoutes(ctx))
    .route("/", runRoutes(ctx))
    .route("/", storedBackupRoutes(ctx))
    .route("/", userRoutes(ctx))
    .route("/", adminRoutes(ctx))
    .route("/", ssoRoutes(ctx))
    .route("/", notificationRoutes(ctx));
}
