import { Anchor, Code, Stack, Text } from "@mantine/core";
import { Link, useRouterState } from "@tanstack/react-router";
import { PageHeader } from "../ui/page-header.js";

/** A console address that names no page (a mistyped or outdated link). */
export function NotFoundPage() {
  const pathname = useRouterState({ select: (s) => s.location.pathname });
  return (
    <Stack gap="sm">
      <PageHeader title="Page not found" />
      <Text>
        There is no page at <Code>{pathname}</Code>. The link may be mistyped or out of date.
      </Text>
      <Text>
        <Anchor component={Link} to="/">
          Go to the dashboard
        </Anchor>{" "}
        or pick a page from the navigation.
      </Text>
    </Stack>
  );
}
