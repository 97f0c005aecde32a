import { queryOptions } from "@tanstack/react-query";
import { type Answer, api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";

/** Your API tokens, or (`everyone`, admins only) every user's. */
export const apiTokensQuery = (everyone: boolean) =>
  queryOptions({
    queryKey: [...queryKeys.apiTokens, everyone ? "all" : "mine"],
    queryFn: async () => (await unwrap(api["api-tokens"].$get({ query: everyone ? { all: "true" } : {} }))).items,
  });

/** One token as `GET /api/v1/api-tokens` lists it (never the secret). */
export type ApiTokenItem = Answer<Awaited<ReturnType<typeof api["api-tokens"]["$get"]>>>["items"][number];
