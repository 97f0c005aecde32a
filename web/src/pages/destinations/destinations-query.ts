import { queryOptions } from "@tanstack/react-query";
import { type Answer, api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";

export const destinationsQuery = queryOptions({
  queryKey: queryKeys.destinations,
  queryFn: async () => (await unwrap(api.destinations.$get())).items,
});

/**
 * The last probe of a destination in this tab (`POST /destinations/:id/test`), run only when asked:
 * it writes an object, so it never runs by itself. It is also where free space comes from.
 */
export const probeQuery = (id: string) =>
  queryOptions({
    queryKey: [...queryKeys.destination(id), "probe"] as const,
    queryFn: () => unwrap(api.destinations[":id"].test.$post({ param: { id } })),
    enabled: false,
    retry: false,
    staleTime: Number.POSITIVE_INFINITY,
  });

export type DestinationItem = Answer<Awaited<ReturnType<typeof api.destinations.$get>>>["items"][number];
