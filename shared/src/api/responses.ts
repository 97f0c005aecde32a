import { z } from "zod";
import { ErrorBody } from "../errors.js";
import { AgentStatus, RunState } from "../run-state.js";

/** How an agent's link reached the control plane: "insecure" is plain ws:// across a network (enrolled with --insecure). */
export const LinkSecurity = z.enum(["tls", "loopback", "insecure"]);
export type LinkSecurity = z.infer<typeof LinkSecurity>;
import { DatasourceHealthAnswer } from "./health.js";
import { LiveEvent } from "./live-events.js";
import { AlertList, NotificationChannelView, NotificationSendView, NotificationTestResult } from "./notifications.js";
import type { ApiRoute } from "./route-roles.js";
import { SsoSettingsView, SsoStatus } from "./sso.js";
import { CatalogueImportAnswer, CopyRunAnswer, DeleteOrphansAnswer, OrphansAnswer, ValidateRunAnswer } from "./stored-backups.js";

/** Every refusal of the REST API: the catalog's error body with the request's id (echoed in `x-request-id`). */
export const ApiErrorResponse = z.object({
  error: ErrorBody.extend({ requestId: z.string() }),
});
export type ApiErrorResponse = z.infer<typeof ApiErrorResponse>;

/** A run was recorded and handed to its agent (`202`): follow it with `GET /runs/:runId` or `GET /events`. */
export const RunAccepted = z.object({ runId: z.string() });

/** `GET /healthz` (the process answers) and `GET /readyz` (it may take traffic: its database answers, it is not stopping). */
export const HealthAnswer = z.object({ ok: z.literal(true) });

/**
 * The answers the shared package describes, by route: what `hc<AppType>` already types for a
 * TypeScript client, written down for the OpenAPI document and for clients in other languages.
 * A route missing here is documented with its status and no schema.
 */
export const API_RESPONSES: Partial<Record<ApiRoute, { status: number; body: z.ZodType; mediaType?: string }>> = {
  "POST /datasources/:id/backups": { status: 202, body: RunAccepted },
  "POST /runs/:runId/restore": { status: 202, body: RunAccepted },
  "POST /runs/:runId/cancel": { status: 200, body: z.object({ runId: z.string(), state: RunState }) },
  "POST /agents/:id/revoke": { status: 200, body: z.object({ id: z.string(), status: z.literal("revoked") }) },
  "GET /schedules/:id/next": { status: 200, body: z.object({ next: z.array(z.iso.datetime({ offset: true })) }) },
  "GET /schedules/preview": { status: 200, body: z.object({ timezone: z.string(), next: z.array(z.iso.datetime({ offset: true })) }) },
  "DELETE /destinations/:id": { status: 204, body: z.null() },
  "DELETE /schedules/:id": { status: 204, body: z.null() },
  // Each SSE message's `data`, as JSON.
  "GET /events": { status: 200, body: LiveEvent, mediaType: "text/event-stream" },
  "GET /sso": { status: 200, body: SsoStatus },
  "GET /sso/settings": { status: 200, body: SsoSettingsView },
  "PUT /sso/settings": { status: 200, body: SsoSettingsView },
  // Browser navigations: a redirect to the provider, or back to the console (`/sign-in?ssoError=CODE` on a refusal).
  "GET /sso/start": { status: 302, body: z.null() },
  "GET /sso/callback": { status: 302, body: z.null() },
  "GET /notification-channels": { status: 200, body: z.object({ items: z.array(NotificationChannelView) }) },
  "POST /notification-channels": { status: 201, body: NotificationChannelView },
  "GET /notification-channels/:id": { status: 200, body: NotificationChannelView },
  "PATCH /notification-channels/:id": { status: 200, body: NotificationChannelView },
  "DELETE /notification-channels/:id": { status: 204, body: z.null() },
  "POST /notification-channels/:id/test": { status: 200, body: NotificationTestResult },
  "GET /notification-sends": { status: 200, body: z.object({ items: z.array(NotificationSendView) }) },
  "GET /alerts": { status: 200, body: AlertList },
  "GET /openapi.json": { status: 200, body: z.object({ openapi: z.string() }).loose() },
  "GET /agents/:id": {
    status: 200,
    body: z.object({ id: z.string(), name: z.string(), hostname: z.string(), status: AgentStatus, lastSeenAt: z.iso.datetime({ offset: true }).nullable(), version: z.string().nullable(), protocolVersion: z.number().int().nullable(), statusReason: z.string().nullable(), updateAvailable: z.boolean(), linkSecurity: LinkSecurity.nullable() }),
  },
  "POST /runs/:runId/validate": { status: 200, body: ValidateRunAnswer },
  "POST /runs/:runId/copies": { status: 202, body: CopyRunAnswer },
  "POST /destinations/:id/catalogue/import": { status: 200, body: CatalogueImportAnswer },
  "GET /destinations/:id/orphans": { status: 200, body: OrphansAnswer },
  "POST /destinations/:id/orphans/delete": { status: 200, body: DeleteOrphansAnswer },
  "GET /datasources/:id/health": { status: 200, body: DatasourceHealthAnswer },
};
