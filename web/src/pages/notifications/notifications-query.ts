import { queryOptions } from "@tanstack/react-query";
import { type Answer, api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";

export const channelsQuery = queryOptions({
  queryKey: queryKeys.notificationChannels,
  queryFn: async () => (await unwrap(api["notification-channels"].$get())).items,
});

/** The newest sends and their outcome; refreshed every few seconds while the page is open (retries land without an event). */
export const sendsQuery = queryOptions({
  queryKey: queryKeys.notificationSends,
  queryFn: async () => (await unwrap(api["notification-sends"].$get({ query: { limit: "50" } }))).items,
  refetchInterval: 5_000,
});

export type ChannelItem = Answer<Awaited<ReturnType<(typeof api)["notification-channels"]["$get"]>>>["items"][number];
export type SendItem = Answer<Awaited<ReturnType<(typeof api)["notification-sends"]["$get"]>>>["items"][number];
