import { NavLink, Stack } from "@mantine/core";
import { Link, useRouterState } from "@tanstack/react-router";
import { canDo } from "../session/can.js";
import { useViewer } from "../session/viewer.js";
import { NAV_ITEMS } from "./nav-items.js";

/** The page list; the current page is marked for the eye and for screen readers (aria-current). */
export function Navigation({ onNavigate }: { onNavigate: () => void }) {
  const pathname = useRouterState({ select: (s) => s.location.pathname });
  const { user } = useViewer();
  const items = NAV_ITEMS.filter((item) => !user || !item.reads || canDo(user.role, item.reads));
  return (
    <nav aria-label="Pages">
      <Stack gap={2}>
        {items.map(({ to, label, icon: Icon }) => {
          const active = to === "/" ? pathname === "/" : pathname === to || pathname.startsWith(`${to}/`);
          return (
            <NavLink
              key={to}
              component={Link}
              to={to}
              label={label}
              leftSection={<Icon size={18} stroke={1.6} aria-hidden />}
              active={active}
              variant="filled"
              aria-current={active ? "page" : undefined}
              onClick={onNavigate}
            />
          );
        })}
      </Stack>
    </nav>
  );
}
