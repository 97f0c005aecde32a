import { queryOptions } from "@tanstack/react-query";
import { type Answer, api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";

/** The dashboard's figures over the last 30 days. Refreshed every minute (the live stream also invalidates `stats`). */
export const statsQuery = queryOptions({
  queryKey: [...queryKeys.stats, { days: 30 }],
  queryFn: () => unwrap(api.stats.$get({ query: { days: "30" } })),
  refetchInterval: 60_000,
});

export type Stats = Answer<Awaited<ReturnType<typeof api.stats.$get>>>;
export type DatasourceFreshness = Stats["lastGoodBackup"][number];
export type DestinationStorage = Stats["storage"][number];
export type DayFigures = Stats["series"][number];

const RUNNING = { state: "running", limit: "50" } as const;

/** Runs running now (backups, restores and drills). Polled every 15 s until the live stream invalidates `runs` itself. */
export const runningRunsQuery = queryOptions({
  queryKey: queryKeys.runList(RUNNING),
  queryFn: async () => (await unwrap(api.runs.$get({ query: RUNNING }))).items,
  refetchInterval: 15_000,
});

export type RunningRun = Answer<Awaited<ReturnType<typeof api.runs.$get>>>["items"][number];

/**
 * The open alerts (and those closed this week). Under `stats`, so the live events that refresh the
 * dashboard's figures (runs ending, deliveries, agents coming and going) refresh it too; polled every
 * 30 s for what no event reports (a health check, the RPO watch).
 */
export const alertsQuery = queryOptions({
  queryKey: [...queryKeys.stats, "alerts"] as const,
  queryFn: () => unwrap(api.alerts.$get()),
  refetchInterval: 30_000,
});

export type OpenAlert = Answer<Awaited<ReturnType<typeof api.alerts.$get>>>["open"][number];
