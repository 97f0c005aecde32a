import { queryOptions } from "@tanstack/react-query";
import { type Answer, api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";

/** The schedules; fresh through the live stream (the list is invalidated when one changes). */
export const schedulesQuery = queryOptions({
  queryKey: queryKeys.schedules,
  queryFn: async () => (await unwrap(api.schedules.$get())).items,
});

export const scheduleQuery = (id: string) =>
  queryOptions({
    queryKey: queryKeys.schedule(id),
    queryFn: () => unwrap(api.schedules[":id"].$get({ param: { id } })),
  });

export const datasourcesQuery = queryOptions({
  queryKey: queryKeys.datasources,
  queryFn: async () => (await unwrap(api.datasources.$get({ query: {} }))).items,
});

export const destinationsQuery = queryOptions({
  queryKey: queryKeys.destinations,
  queryFn: async () => (await unwrap(api.destinations.$get())).items,
});

/** The newest run a schedule fired, for the list's "last run". */
export const lastRunQuery = (scheduleId: string) =>
  queryOptions({
    queryKey: queryKeys.runList({ scheduleId, limit: 1 }),
    queryFn: async () => (await unwrap(api.runs.$get({ query: { scheduleId, limit: "1" } }))).items[0] ?? null,
  });

export type ScheduleItem = Answer<Awaited<ReturnType<typeof api.schedules.$get>>>["items"][number];
export type DatasourceItem = Answer<Awaited<ReturnType<typeof api.datasources.$get>>>["items"][number];
export type DestinationItem = Answer<Awaited<ReturnType<typeof api.destinations.$get>>>["items"][number];
