import type { RecordedLiveEvent } from "@holdfast/shared";
import type { QueryKey } from "@tanstack/react-query";
import { queryKeys } from "../api/query-keys.js";

/**
 * The queries an event makes stale, by prefix (`queryKeys`). Progress changes no query: it is held
 * in memory (`useRunProgress`), so a run page does not refetch every second while a backup runs.
 */
export function keysForEvent(event: RecordedLiveEvent): QueryKey[] {
  switch (event.type) {
    case "run.state":
      // The run, every run list, what is shown about its datasource, schedule and agent (last good
      // backup, next run, queue), and the dashboard's numbers.
      return [
        queryKeys.runs,
        queryKeys.datasource(event.datasourceId),
        queryKeys.datasources,
        ...(event.scheduleId ? [queryKeys.schedule(event.scheduleId), queryKeys.schedules] : []),
        queryKeys.agent(event.agentId),
        queryKeys.stats,
      ];
    case "delivery.state":
      // The run's deliveries and the lists showing them; a delivered copy changes a destination's usage.
      return [queryKeys.run(event.runId), ["runs", "list"], queryKeys.destination(event.destinationId), queryKeys.destinations, queryKeys.stats];
    case "agent.status":
      return [queryKeys.agents, queryKeys.agent(event.agentId), queryKeys.stats];
    case "run.progress":
      return [];
  }
}

/** Keys with a prefix of another removed: invalidating `["runs"]` already covers `["runs", "one", id]`. */
export function withoutCovered(keys: QueryKey[]): QueryKey[] {
  const isPrefix = (a: QueryKey, b: QueryKey) => a.length <= b.length && a.every((part, i) => part === b[i]);
  const unique = keys.filter((k, i) => keys.findIndex((o) => isPrefix(o, k) && isPrefix(k, o)) === i);
  return unique.filter((k) => !unique.some((other) => other !== k && other.length < k.length && isPrefix(other, k)));
}
