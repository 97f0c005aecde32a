import { queryOptions } from "@tanstack/react-query";
import { type Answer, api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";

export const usersQuery = queryOptions({
  queryKey: queryKeys.users,
  queryFn: async () => (await unwrap(api.users.$get())).items,
});

/** One user as `GET /api/v1/users` lists it. */
export type UserItem = Answer<Awaited<ReturnType<typeof api.users.$get>>>["items"][number];
