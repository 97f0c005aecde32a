import type { Role } from "./users.js";

/**
 * The least role each `/api/v1` route needs, keyed by method and path pattern as the control plane
 * declares the route (`:param` segments, relative to `/api/v1`). The control plane enforces this
 * table before any route runs, so a refusal names the role the route itself needs; a console reads
 * it to hide what a user may not do. A route missing here is refused to everyone, and the control
 * plane's route test fails until it is added.
 */
export const API_ROUTE_ROLES = {
  "GET /agents": "viewer",
  "POST /agents/:id/revoke": "admin",
  "GET /agents/:id/queue": "viewer",
  "GET /agents/:id/health": "viewer",

  "POST /datasources": "operator",
  "GET /datasources": "viewer",
  "GET /datasources/:id": "viewer",
  "PATCH /datasources/:id": "operator",
  "DELETE /datasources/:id": "operator",
  // Test and preflight make the agent connect to the database: acting on it, not reading ours.
  "POST /datasources/:id/test": "operator",
  "POST /datasources/:id/preflight": "operator",
  "GET /datasources/:id/databases": "viewer",
  "POST /datasources/:id/backups": "operator",

  "POST /destinations": "operator",
  "GET /destinations": "viewer",
  "GET /destinations/:id": "viewer",
  "PATCH /destinations/:id": "operator",
  "DELETE /destinations/:id": "operator",
  "POST /destinations/:id/test": "operator",

  "POST /schedules": "operator",
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

  "GET /stats": "viewer",
} as const satisfies Record<string, Role>;

export type ApiRoute = keyof typeof API_ROUTE_ROLES;

/** The role a route needs (`"POST"`, `"/runs/:runId/cancel"`), or undefined for a route not in the table. */
export function roleForRoute(method: string, pattern: string): Role | undefined {
  const key = `${method.toUpperCase()} ${pattern}`;
  return Object.hasOwn(API_ROUTE_ROLES, key) ? API_ROUTE_ROLES[key as ApiRoute] : undefined;
}

