import { QueryClient } from "@tanstack/react-query";
import { ApiError } from "@holdfast/shared";

/**
 * One cache for the console. A failed read is retried twice only when the catalog says retrying can
 * help (an agent timeout, the control plane restarting), never for a refusal or a missing item.
 */
export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      retry: (failures, error) => failures < 2 && error instanceof ApiError && error.retryable,
    },
    mutations: { retry: false },
  },
});
