import type { Role } from "./users.js";

/** Who may call a route: at least this role, or anyone (`open`: signing in, the first admin's setup). */
export type RouteAccess = Role | "open";

/**
 * The least role each `/api/v1` route needs, keyed by method and path pattern as the control plane
 * declares the route (`:param` segments, relative to `/api/v1`). The control plane enforces this
 * table before any route runs, so a refusal names the role the route itself needs; a console reads
 * it to hide what a user may not do. A route missing here is refused to everyone, and the control
 * plane's route test fails until it is added. An `open` route runs without credentials; one sent
 * and valid still says who is calling (`GET /session`).
 */
export const API_ROUTE_ROLES = {
  "POST /session": "open",
  "GET /session": "open",
  "DELETE /session": "open",
  "GET /setup": "open",
  "POST /setup": "open",
  // Single sign-on: the sign-in page asks whether it is on; the browser is sent through start and callback before it has a session.
  "GET /sso": "open",
  "GET /sso/start": "open",
  "GET /sso/callback": "open",
  "GET /sso/settings": "admin",
  "PUT /sso/settings": "admin",

  "GET /agents": "viewer",
  "POST /agents/:id/revoke": "admin",
  "GET /agents/:id/queue": "viewer",
  "GET /agents/:id/health": "viewer",
  "GET /agents/:id/capabilities": "viewer",
  "GET /agents/:id": "viewer",
  // Its settings (the upload bandwidth cap): operating the fleet, like a destination's.
  "PATCH /agents/:id": "operator",

  "POST /datasources": "operator",
  "GET /datasources": "viewer",
  "GET /datasources/:id": "viewer",
  "PATCH /datasources/:id": "operator",
  "DELETE /datasources/:id": "operator",
  // Test and preflight make the agent connect to the database: acting on it, not reading ours.
  "POST /datasources/:id/test": "operator",
  "POST /datasources/:id/preflight": "operator",
  "GET /datasources/:id/databases": "viewer",
  "GET /datasources/:id/health": "viewer",
  "POST /datasources/:id/backups": "operator",

  "POST /destinations": "operator",
  "GET /destinations": "viewer",
  "GET /destinations/:id": "viewer",
  "PATCH /destinations/:id": "operator",
  "DELETE /destinations/:id": "operator",
  "POST /destinations/:id/test": "operator",
  // Records runs and deliveries from what a destination holds: rebuilding the catalogue is an admin's.
  "POST /destinations/:id/catalogue/import": "admin",
  // What no delivery record holds, and deleting it: objects chosen by listing, not by the catalogue.
  "GET /destinations/:id/orphans": "admin",
  "POST /destinations/:id/orphans/delete": "admin",

  "POST /schedules": "operator",
  // A cron's next firings before it is saved: computed, nothing read or stored.
  "GET /schedules/preview": "viewer",
  "GET /schedules": "viewer",
  "GET /schedules/:id": "viewer",
  "PATCH /schedules/:id": "operator",
  "DELETE /schedules/:id": "operator",
  "POST /schedules/:id/pause": "operator",
  "POST /schedules/:id/resume": "operator",
  "GET /schedules/:id/next": "viewer",
  "GET /schedules/:id/retention/preview": "viewer",

  "GET /runs": "viewer",
  "GET /runs/:runId": "viewer",
  "GET /runs/:runId/deliveries": "viewer",
  "GET /runs/:runId/events": "viewer",
  "GET /runs/:runId/logs": "viewer",
  "POST /runs/:runId/restore": "operator",
  "POST /runs/:runId/cancel": "operator",
  // The backup's bytes: a viewer sees that backups exist, not the data in them.
  "GET /runs/:runId/artifact": "operator",
  "DELETE /runs/:runId/artifact": "operator",
  // Reads every stored byte (operator, like the download) and tells only a verdict.
  "POST /runs/:runId/validate": "operator",
  "POST /runs/:runId/copies": "operator",
  // A legal hold overrides retention and deletion by hand: set and lifted by an admin only, both in the audit log.
  "POST /runs/:runId/hold": "admin",
  "DELETE /runs/:runId/hold": "admin",

  "GET /stats": "viewer",

  "GET /users": "admin",
  "POST /users": "admin",
  "GET /users/:id": "admin",
  "PATCH /users/:id": "admin",
  "DELETE /users/:id": "admin",
  "POST /users/:id/password": "admin",

  // Everyone manages their own API tokens; another user's need admin, checked by the domain
  // (users/manage-api-tokens.ts), since the same routes serve both.
  "GET /api-tokens": "viewer",
  "POST /api-tokens": "viewer",
  "DELETE /api-tokens/:id": "viewer",

  "POST /enrollment-tokens": "admin",
  "GET /enrollment-tokens": "admin",
  "DELETE /enrollment-tokens/:id": "admin",

  "GET /audit": "admin",

  // Channels hold credentials and decide who hears about failures: only admins change them.
  "GET /notification-channels": "viewer",
  "POST /notification-channels": "admin",
  "GET /notification-channels/:id": "viewer",
  "PATCH /notification-channels/:id": "admin",
  "DELETE /notification-channels/:id": "admin",
  "POST /notification-channels/:id/test": "admin",
  "GET /notification-sends": "viewer",
  "GET /alerts": "viewer",

  // The live events: every kind is viewer-readable today; a kind a role may not see is filtered
  // out of the stream (LIVE_EVENT_ROLES in live-events.ts), never refused as a whole.
  "GET /events": "viewer",
  // The API's own description: nothing a viewer cannot learn by calling the API, but not public:
  // it names every route and field of this version to whoever asks.
  "GET /openapi.json": "viewer",
} as const satisfies Record<string, RouteAccess>;

export type ApiRoute = keyof typeof API_ROUTE_ROLES;

/** Who may call a route (`"POST"`, `"/runs/:runId/cancel"`), or undefined for a route not in the table. */
export function roleForRoute(method: string, pattern: string): RouteAccess | undefined {
  const key = `${method.toUpperCase()} ${pattern}`;
  return Object.hasOwn(API_ROUTE_ROLES, key) ? API_ROUTE_ROLES[key as ApiRoute] : undefined;
}

