import { queryOptions } from "@tanstack/react-query";
import { type Answer, api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";

export const AGENTS_QUERY_KEY = queryKeys.agents;

/**
 * The agents and their status. Polled every 15 s (the control plane's heartbeat) until the console
 * has the live event stream.
 */
export const agentsQuery = queryOptions({
  queryKey: AGENTS_QUERY_KEY,
  queryFn: async () => (await unwrap(api.agents.$get())).items,
  refetchInterval: 15_000,
});

/** One agent as `GET /api/v1/agents` lists it. */
export type AgentItem = Answer<Awaited<ReturnType<typeof api.agents.$get>>>["items"][number];
