import { infiniteQueryOptions, queryOptions } from "@tanstack/react-query";
import { type Answer, api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { listQueryFor, type RunsSearch } from "./runs-search.js";

/** The page size: enough to fill a screen, small enough that a refetch after an event stays quick. */
const PAGE = 25;

/**
 * The run history for the filters, newest first, a page at a time (`GET /runs`'s cursor). Kept fresh
 * by the live stream (every run and delivery change invalidates `["runs"]`), so it does not poll.
 */
export function runListQuery(search: RunsSearch) {
  const filters = listQueryFor(search);
  return infiniteQueryOptions({
    queryKey: queryKeys.runList(filters),
    queryFn: ({ pageParam }) => unwrap(api.runs.$get({ query: { ...filters, limit: String(PAGE), ...(pageParam ? { cursor: pageParam } : {}) } })),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
}

/** One run as the API shows it (`GET /runs` and `GET /runs/:id` agree). */
export type RunItem = Answer<Awaited<ReturnType<typeof api.runs.$get>>>["items"][number];

/** The live datasources, for names and the filter's choices (its own key: the datasources page may keep another shape). */
export const datasourceChoicesQuery = queryOptions({
  queryKey: [...queryKeys.datasources, "choices"] as const,
  queryFn: async () => (await unwrap(api.datasources.$get({ query: {} }))).items,
});

export type DatasourceChoice = Answer<Awaited<ReturnType<typeof api.datasources.$get>>>["items"][number];
