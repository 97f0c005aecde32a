import { createRootRoute, createRoute, createRouter, lazyRouteComponent, Outlet } from "@tanstack/react-router";
import { z } from "zod";
import { NotFoundPage } from "./pages/not-found-page.js";
import { AuditSearch } from "./pages/audit/audit-search.js";
import { RunsSearch } from "./pages/runs/runs-search.js";
import { SessionGate } from "./session/session-gate.js";
import { Shell } from "./shell/shell.js";
import { ErrorState, LoadingState } from "./ui/states.js";

const rootRoute = createRootRoute({
  component: Outlet,
  notFoundComponent: () => (
    <Shell>
      <NotFoundPage />
    </Shell>
  ),
});

/** Every page but sign-in sits in the shell (header, navigation, main). */
const shellRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: "shell",
  component: () => (
    <Shell>
      <SessionGate>
        <Outlet />
      </SessionGate>
    </Shell>
  ),
});

// Each page is its own chunk, loaded when first visited: the initial load stays the shell.
// Generic in the path, so links and navigations to each page are typed.
const page = <P extends string>(path: P, component: ReturnType<typeof lazyRouteComponent>) => createRoute({ getParentRoute: () => shellRoute, path, component });

const pages = [
  page("/", lazyRouteComponent(() => import("./pages/dashboard/dashboard-page.js"), "DashboardPage")),
  createRoute({ getParentRoute: () => shellRoute, path: "/runs", validateSearch: RunsSearch, component: lazyRouteComponent(() => import("./pages/runs/runs-page.js"), "RunsPage") }),
  createRoute({ getParentRoute: () => shellRoute, path: "/runs/$runId", component: lazyRouteComponent(() => import("./pages/run/run-page.js"), "RunPage") }),
  page("/agents", lazyRouteComponent(() => import("./pages/agents/agents-page.js"), "AgentsPage")),
  // Its own route (not `page`): links to it are typed with its parameter.
  createRoute({ getParentRoute: () => shellRoute, path: "/agents/$agentId", component: lazyRouteComponent(() => import("./pages/agents/agent-page.js"), "AgentPage") }),
  page("/datasources", lazyRouteComponent(() => import("./pages/datasources/datasources-page.js"), "DatasourcesPage")),
  page("/datasources/$id", lazyRouteComponent(() => import("./pages/datasources/datasource-page.js"), "DatasourcePage")),
  page("/schedules", lazyRouteComponent(() => import("./pages/schedules/schedules-page.js"), "SchedulesPage")),
  page("/schedules/$id", lazyRouteComponent(() => import("./pages/schedules/schedule-page.js"), "SchedulePage")),
  page("/destinations", lazyRouteComponent(() => import("./pages/destinations/destinations-page.js"), "DestinationsPage")),
  page("/users", lazyRouteComponent(() => import("./pages/users/users-page.js"), "UsersPage")),
  page("/api-tokens", lazyRouteComponent(() => import("./pages/api-tokens/api-tokens-page.js"), "ApiTokensPage")),
  page("/enrollment-tokens", lazyRouteComponent(() => import("./pages/enrollment-tokens/enrollment-tokens-page.js"), "EnrollmentTokensPage")),
  page("/sso", lazyRouteComponent(() => import("./pages/sso-settings/sso-settings-page.js"), "SsoSettingsPage")),
  page("/notifications", lazyRouteComponent(() => import("./pages/notifications/notifications-page.js"), "NotificationsPage")),
  createRoute({ getParentRoute: () => shellRoute, path: "/audit", validateSearch: AuditSearch, component: lazyRouteComponent(() => import("./pages/audit/audit-page.js"), "AuditPage") }),
];

const SignInPage = lazyRouteComponent(() => import("./pages/sign-in/sign-in-page.js"), "SignInPage");

const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/sign-in",
  validateSearch: z.object({ redirect: z.string().optional(), ssoError: z.string().max(60).optional() }),
  component: function SignIn() {
    const { redirect, ssoError } = signInRoute.useSearch();
    return <SignInPage redirect={redirect} ssoError={ssoError} />;
  },
});

const setupRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/setup",
  component: lazyRouteComponent(() => import("./pages/setup/setup-page.js"), "SetupPage"),
});

export const router = createRouter({
  routeTree: rootRoute.addChildren([shellRoute.addChildren(pages), signInRoute, setupRoute]),
  defaultPendingComponent: () => <LoadingState label="Loading the page" />,
  defaultPendingMs: 300,
  defaultErrorComponent: ({ error, reset }) => <ErrorState title="This page failed" error={error} onRetry={reset} />,
  scrollRestoration: true,
});

declare module "@tanstack/react-router" {
  interface Register {
    router: typeof router;
  }
}
