import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { api, unwrap } from "../api/client.js";
import { queryKeys } from "../api/query-keys.js";
import { ErrorState, LoadingState } from "../ui/states.js";
import { csrfToken } from "./csrf.js";
import { goToSignIn } from "./redirect.js";
import { useViewer } from "./viewer.js";

/**
 * Shows its pages only to someone signed in: asks `GET /api/v1/session` who that is (and, for a
 * cookie session, its CSRF token), and sends anyone else to sign in, remembering the page. Asked
 * again when the tab comes back into view, so a session that ended meanwhile is noticed.
 */
export function SessionGate({ children }: { children: ReactNode }) {
  const { setUser } = useViewer();
  const session = useQuery({
    queryKey: queryKeys.session,
    queryFn: async () => {
      const view = await unwrap(api.session.$get());
      // Set here, before the pages render: their first changes already carry the token.
      csrfToken.set(view.signedIn && view.via === "session" ? view.csrfToken : undefined);
      setUser(view.signedIn ? view.user : null);
      if (!view.signedIn) goToSignIn();
      return view;
    },
    staleTime: 60_000,
  });
  if (session.isError) return <ErrorState title="Could not check your session" error={session.error} onRetry={() => void session.refetch()} />;
  if (!session.data?.signedIn) return <LoadingState label="Checking your session" />;
  return children;
}
