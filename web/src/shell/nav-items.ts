import type { ApiRoute } from "@holdfast/shared";
import { IconApi, IconBell, IconCalendarTime, IconDatabase, IconGauge, IconKey, IconListCheck, IconLogin, IconServer2, IconShieldSearch, IconTruckDelivery, IconUsers } from "@tabler/icons-react";
import type { ComponentType } from "react";

export interface NavItem {
  to: "/" | "/agents" | "/datasources" | "/schedules" | "/runs" | "/destinations" | "/users" | "/api-tokens" | "/enrollment-tokens" | "/sso" | "/notifications" | "/audit";
  label: string;
  icon: ComponentType<{ size?: number; stroke?: number; "aria-hidden"?: boolean }>;
  /** The route that lists what the page shows: the item is hidden from a role that may not call it. */
  reads?: ApiRoute;
}

/** The console's pages in the order the navigation shows them: watching first, configuring next, people last. */
export const NAV_ITEMS: NavItem[] = [
  { to: "/", label: "Dashboard", icon: IconGauge, reads: "GET /stats" },
  { to: "/runs", label: "Runs", icon: IconListCheck, reads: "GET /runs" },
  { to: "/agents", label: "Agents", icon: IconServer2, reads: "GET /agents" },
  { to: "/datasources", label: "Datasources", icon: IconDatabase, reads: "GET /datasources" },
  { to: "/schedules", label: "Schedules", icon: IconCalendarTime, reads: "GET /schedules" },
  { to: "/destinations", label: "Destinations", icon: IconTruckDelivery, reads: "GET /destinations" },
  { to: "/notifications", label: "Notifications", icon: IconBell, reads: "GET /notification-channels" },
  { to: "/users", label: "Users", icon: IconUsers, reads: "GET /users" },
  { to: "/api-tokens", label: "API tokens", icon: IconApi, reads: "GET /api-tokens" },
  { to: "/enrollment-tokens", label: "Enrollment tokens", icon: IconKey, reads: "GET /enrollment-tokens" },
  { to: "/sso", label: "Single sign-on", icon: IconLogin, reads: "GET /sso/settings" },
  { to: "/audit", label: "Audit log", icon: IconShieldSearch, reads: "GET /audit" },
];
