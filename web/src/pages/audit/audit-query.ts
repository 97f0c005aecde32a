import { AUDIT_PAGE } from "@holdfast/shared";
import { infiniteQueryOptions } from "@tanstack/react-query";
import { type Answer, api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { type AuditSearch, auditQueryFor } from "./audit-search.js";

/** The audit log for the filters, newest first, a page at a time (`GET /audit`'s cursor). */
export function auditListQuery(search: AuditSearch) {
  const filters = auditQueryFor(search);
  return infiniteQueryOptions({
    queryKey: queryKeys.auditList(filters),
    queryFn: ({ pageParam }) => unwrap(api.audit.$get({ query: { ...filters, limit: String(AUDIT_PAGE.default), ...(pageParam ? { cursor: pageParam } : {}) } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
}

/** One audit record as the API answers it. */
export type AuditItem = Answer<Awaited<ReturnType<typeof api.audit.$get>>>["items"][number];
