import { queryOptions } from "@tanstack/react-query";
import { type Answer, api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";

/** The live datasources, oldest first (the live event stream refreshes them by `queryKeys.datasources`). */
export const datasourcesQuery = queryOptions({
  queryKey: queryKeys.datasources,
  queryFn: async () => (await unwrap(api.datasources.$get({ query: {} }))).items,
});

export const datasourceQuery = (id: string) =>
  queryOptions({
    queryKey: queryKeys.datasource(id),
    queryFn: () => unwrap(api.datasources[":id"].$get({ param: { id } })),
  });

/** The dashboard's figures: each datasource's last good backup, each destination's usage. */
export const statsQuery = queryOptions({
  queryKey: [...queryKeys.stats, "summary"] as const,
  queryFn: () => unwrap(api.stats.$get({ query: {} })),
});

export type DatasourceItem = Answer<Awaited<ReturnType<typeof api.datasources.$get>>>["items"][number];
