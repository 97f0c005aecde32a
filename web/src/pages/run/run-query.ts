import { queryOptions } from "@tanstack/react-query";
import { type Answer, api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";

const ACTIVE = new Set(["pending", "queued", "running"]);

/** Whether the run may still change by itself (the agent works on it, or it waits for a slot). */
export function isActive(run: { state: string }): boolean {
  return ACTIVE.has(run.state);
}

/**
 * One run. The live stream invalidates it on each state change; while the stream is down, an active
 * run is asked again every 10 s (the console's slowest allowed poll is also its fastest).
 */
export function runQuery(runId: string, streamLive: boolean) {
  return queryOptions({
    queryKey: queryKeys.run(runId),
    queryFn: () => unwrap(api.runs[":runId"].$get({ param: { runId } })),
    refetchInterval: (q) => (!streamLive && q.state.data && isActive(q.state.data) ? 10_000 : false),
  });
}

export type RunView = Answer<Awaited<ReturnType<(typeof api.runs)[":runId"]["$get"]>>>;

/** The run's deliveries with their attempts and next try; a delivery change invalidates them. */
export function runDeliveriesQuery(runId: string) {
  return queryOptions({
    queryKey: queryKeys.runDeliveries(runId),
    queryFn: async () => (await unwrap(api.runs[":runId"].deliveries.$get({ param: { runId } }))).items,
  });
}

export type DeliveryView = Answer<Awaited<ReturnType<(typeof api.runs)[":runId"]["deliveries"]["$get"]>>>["items"][number];

/** The run's log lines, asked of its agent (AGENT_OFFLINE while it is away); not retried, the page offers a retry. */
export function runLogsQuery(runId: string) {
  return queryOptions({
    queryKey: queryKeys.runLogs(runId),
    queryFn: async () => (await unwrap(api.runs[":runId"].logs.$get({ param: { runId } }))).lines,
    retry: false,
  });
}
