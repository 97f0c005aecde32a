import { Code, Text } from "@mantine/core";
import { IconHammer } from "@tabler/icons-react";
import { EmptyState } from "../ui/states.js";
import { PageHeader } from "../ui/page-header.js";

/**
 * A page of the navigation whose screen is not built yet: it says so and names what the REST API
 * already offers, rather than showing an empty screen that looks like missing data.
 */
export function PageNotBuilt({ title, api }: { title: string; api: string }) {
  return (
    <>
      <PageHeader title={title} />
      <EmptyState title="This page is not in the console yet" icon={<IconHammer size={32} stroke={1.4} aria-hidden />}>
        <Text c="dimmed" maw={520}>
          Until it is, the REST API does it: <Code>{api}</Code> with an API token (see the README).
        </Text>
      </EmptyState>
    </>
  );
}
