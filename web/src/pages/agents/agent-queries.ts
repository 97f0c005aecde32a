import { queryOptions } from "@tanstack/react-query";
import { type Answer, api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";

/** What only the agent knows, asked live through the control plane: refreshed every 10 s while shown. */
const live = { refetchInterval: 10_000, retry: false } as const;

export const agentQueueQuery = (id: string) =>
  queryOptions({ queryKey: [...queryKeys.agent(id), "queue"], queryFn: () => unwrap(api.agents[":id"].queue.$get({ param: { id } })), ...live });

export const agentHealthQuery = (id: string) =>
  queryOptions({ queryKey: [...queryKeys.agent(id), "health"], queryFn: () => unwrap(api.agents[":id"].health.$get({ param: { id } })), ...live });

export const agentCapabilitiesQuery = (id: string) =>
  queryOptions({ queryKey: [...queryKeys.agent(id), "capabilities"], queryFn: () => unwrap(api.agents[":id"].capabilities.$get({ param: { id } })), staleTime: 60_000, retry: false });

export type AgentQueue = Answer<Awaited<ReturnType<(typeof api.agents)[":id"]["queue"]["$get"]>>>;
