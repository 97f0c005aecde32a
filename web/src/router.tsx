import { createRootRoute, createRoute, createRouter, lazyRouteComponent, Outlet } from "@tanstack/react-router";
import { z } from "zod";
import { NotFoundPage } from "./pages/not-found-page.js";
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
      <Outlet />
    </Shell>
  ),
});

// Each page is its own chunk, loaded when first visited: the initial load stays the shell.
const placeholders = () => import("./pages/placeholders.js");
// Generic in the path, so links and navigations to each page are typed.
const page = <P extends string>(path: P, component: ReturnType<typeof lazyRouteComponent>) => createRoute({ getParentRoute: () => shellRoute, path, component });

const pages = [
  page("/", lazyRouteComponent(placeholders, "DashboardPage")),
  page("/runs", lazyRouteComponent(placeholders, "RunsPage")),
  page("/agents", lazyRouteComponent(() => import("./pages/agents/agents-page.js"), "AgentsPage")),
  page("/datasources", lazyRouteComponent(placeholders, "DatasourcesPage")),
  page("/schedules", lazyRouteComponent(() => import("./pages/schedules/schedules-page.js"), "SchedulesPage")),
  page("/schedules/$id", lazyRouteComponent(() => import("./pages/schedules/schedule-page.js"), "SchedulePage")),
  page("/destinations", lazyRouteComponent(placeholders, "DestinationsPage")),
  page("/users", lazyRouteComponent(placeholders, "UsersPage")),
  page("/api-tokens", lazyRouteComponent(placeholders, "ApiTokensPage")),
  page("/enrollment-tokens", lazyRouteComponent(placeholders, "EnrollmentTokensPage")),
];

const SignInPage = lazyRouteComponent(() => import("./pages/sign-in/sign-in-page.js"), "SignInPage");

const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: "/sign-in",
  validateSearch: z.object({ redirect: z.string().optional() }),
  component: function SignIn() {
    const { redirect } = signInRoute.useSearch();
    return <SignInPage redirect={redirect} />;
  },
});

export const router = createRouter({
  routeTree: rootRoute.addChildren([shellRoute.addChildren(pages), signInRoute]),
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
