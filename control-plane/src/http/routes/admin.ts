import { Hono } from "hono";
import { AuditQuery, CreateEnrollmentTokenBody, IdParam } from "@holdfast/shared";
import { listAudit } from "../../audit/list-audit.js";
import type { AppContext } from "../../context.js";
import { issueEnrollmentToken } from "../../enrollment/create-token.js";
import { listPendingEnrollmentTokens, revokeEnrollmentToken } from "../../enrollment/pending-tokens.js";
import { requestOrigin } from "../request-origin.js";
import { curlPins, enrollmentPins } from "../../tls/server-pins.js";
import { jsonBody, params, query } from "../validate.js";
import type { HonoEnv } from "../types.js";

/**
 * Enrollment tokens and the audit log (admin). The token is answered once, with the commands that
 * enroll a host against the URL the admin reached this control plane at.
 */
export function adminRoutes(ctx: AppContext) {
  return new Hono<HonoEnv>()
    .post("/enrollment-tokens", jsonBody(CreateEnrollmentTokenBody, "enrollment token"), async (c) => {
      const { ttl, name } = c.req.valid("json");
      const pins = ctx.serverPins?.();
      return c.json(
        await issueEnrollmentToken(ctx, {
          ttlMs: ttl,
          name,
          createdBy: c.get("user").email,
          serverUrl: requestOrigin(c),
          ...(pins ? { pins: { caPins: enrollmentPins(pins), curlPins: curlPins(pins) } } : {}),
        }),
        201,
      );
    })
    .get("/enrollment-tokens", async (c) => c.json({ items: await listPendingEnrollmentTokens(ctx) }))
    .delete("/enrollment-tokens/:id", params(IdParam), async (c) => {
      await revokeEnrollmentToken(ctx, c.req.valid("param").id);
      return c.body(null, 204);
    })
    .get("/audit", query(AuditQuery), async (c) => c.json(await listAudit(ctx, c.req.valid("query"))));
}
