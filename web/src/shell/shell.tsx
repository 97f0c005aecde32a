import { AppShell, Burger, Group, Text, useMantineTheme } from "@mantine/core";
import { useDisclosure, useMediaQuery } from "@mantine/hooks";
import { IconShieldLock } from "@tabler/icons-react";
import { Link, useRouterState } from "@tanstack/react-router";
import { type ReactNode, useEffect, useRef } from "react";
import { useLiveConnection } from "../live/index.js";
import { viewerTimeZone } from "../format/time.js";
import { ColorSchemeMenu } from "./color-scheme-menu.js";
import { Navigation } from "./navigation.js";
import { UserMenu } from "./user-menu.js";
import classes from "./shell.module.css";

/**
 * The frame of every signed-in page: a header (menu button on narrow windows, the name, the zone
 * times are shown in, the colour scheme), the navigation, and the page in `<main>`. After a
 * navigation, focus moves to the page so a keyboard or screen-reader user starts reading it there.
 */
export function Shell({ children }: { children: ReactNode }) {
  // A signed-in page is shown: the tab's live event stream is open while it is.
  useLiveConnection();
  const [opened, { toggle, close }] = useDisclosure(false);
  const { breakpoints } = useMantineTheme();
  // On a narrow window the closed navigation is only slid out of view: inert keeps the keyboard and
  // screen readers out of it too.
  const narrow = useMediaQuery(`(max-width: calc(${breakpoints.sm} - 0.1px))`);
  const main = useRef<HTMLElement>(null);
  const pathname = useRouterState({ select: (s) => s.location.pathname });
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [pathname]);

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 240, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="md">
      <a href="#main" className={classes.skipLink}>
        Skip to content
      </a>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={opened ? "Close navigation" : "Open navigation"} aria-expanded={opened} />
            <Link to="/" className={classes.brand}>
              <IconShieldLock size={22} stroke={1.8} aria-hidden />
              Holdfast
            </Link>
          </Group>
          <Group gap="sm" wrap="nowrap">
            <Text size="sm" c="dimmed" visibleFrom="xs">
              Times in {viewerTimeZone()}
            </Text>
            <ColorSchemeMenu />
            <UserMenu />
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" inert={narrow && !opened}>
        <AppShell.Section grow>
          <Navigation onNavigate={close} />
        </AppShell.Section>
        <AppShell.Section hiddenFrom="xs" pt="sm">
          <Text size="sm" c="dimmed">
            Times in {viewerTimeZone()}
          </Text>
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main id="main" ref={main} tabIndex={-1} className={classes.main}>
        {children}
      </AppShell.Main>
    </AppShell>
  );
}
