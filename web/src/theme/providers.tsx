import { MantineProvider } from "@mantine/core";
import { QueryClientProvider } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { queryClient } from "../api/query-client.js";
import { LiveEventsProvider } from "../live/index.js";
import { ViewerProvider } from "../session/viewer.js";
import { cssVariablesResolver, theme } from "./theme.js";

/** Everything a page relies on: theme (light/dark following the OS unless the viewer chose), queries, the signed-in viewer. */
export function Providers({ nonce, children }: { nonce: string | undefined; children: ReactNode }) {
  return (
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver} defaultColorScheme="auto" {...(nonce ? { getStyleNonce: () => nonce } : {})}>
      <QueryClientProvider client={queryClient}>
        <ViewerProvider>
          <LiveEventsProvider>{children}</LiveEventsProvider>
        </ViewerProvider>
      </QueryClientProvider>
    </MantineProvider>
  );
}
