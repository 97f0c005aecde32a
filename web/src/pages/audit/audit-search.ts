import { API_ROUTE_ROLES, AuditQuery } from "@holdfast/shared";
import { z } from "zod";
import { startOfDay } from "../runs/runs-search.js";

const Day = z.iso.date();
/** The API's own rules for the text filters (shared), so the URL never holds what the API would refuse. */
const { actor, action, object } = AuditQuery.shape;

/**
 * The audit page's filters, in the URL like the runs page's: a filtered view can be reloaded and
 * shared. A value that is not valid (an old link, a typo) is dropped rather than an error page.
 */
export const AuditSearch = z.object({
  actor: actor.catch(undefined),
  action: action.catch(undefined),
  object: object.catch(undefined),
  /** The first day shown, inclusive, in the viewer's zone. */
  from: Day.optional().catch(undefined),
  /** The last day shown, inclusive. */
  to: Day.optional().catch(undefined),
});
export type AuditSearch = z.infer<typeof AuditSearch>;

/** `GET /audit`'s query for the filters: days become the instants bounding them (`to` exclusive, so the day after). */
export function auditQueryFor(search: AuditSearch): Omit<AuditQuery, "limit" | "cursor"> {
  const [first, last] = search.from && search.to && search.from > search.to ? [search.to, search.from] : [search.from, search.to];
  return {
    ...(search.actor ? { actor: search.actor } : {}),
    ...(search.action ? { action: search.action } : {}),
    ...(search.object ? { object: search.object } : {}),
    ...(first ? { from: startOfDay(first) } : {}),
    ...(last ? { to: startOfDay(last, 1) } : {}),
  };
}

/** The actions the audit log records outside the API's own routes (sessions, downloads, setup). */
const DOMAIN_ACTIONS = ["session.signIn", "session.signInFailed", "session.ssoSignIn", "setup.firstAdmin", "artifact.download"];

/** Every action a record can carry, for the filter's choices: the domain ones, then each mutating API route. */
export const AUDIT_ACTIONS: readonly string[] = [...DOMAIN_ACTIONS, ...Object.keys(API_ROUTE_ROLES).filter((route) => !route.startsWith("GET "))];
