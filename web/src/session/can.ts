import { API_ROUTE_ROLES, type ApiRoute, Role, roleAtLeast } from "@holdfast/shared";

/**
 * Whether a role may call a route, from the table the control plane enforces
 * (`API_ROUTE_ROLES`): the console hides what the viewer's role may not do, and the server still
 * refuses it (403 FORBIDDEN) if asked anyway.
 *
 * @example canDo("viewer", "POST /datasources/:id/backups") // false
 */
export function canDo(role: Role, route: ApiRoute): boolean {
  const needed: string = API_ROUTE_ROLES[route];
  // A route anyone may call (signing in) is marked "open" rather than with a role.
  if (needed === "open") return true;
  const parsed = Role.safeParse(needed);
  return parsed.success && roleAtLeast(role, parsed.data);
}
