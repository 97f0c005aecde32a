import type { SsoSettingsView } from "@holdfast/shared";
import { queryOptions } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";

export const ssoSettingsQuery = queryOptions({
  queryKey: queryKeys.ssoSettings,
  queryFn: async (): Promise<SsoSettingsView> => unwrap(api.sso.settings.$get()),
});
