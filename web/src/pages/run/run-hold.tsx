import { Alert, Text } from "@mantine/core";
import { IconLock } from "@tabler/icons-react";
import { DateTime } from "../../ui/date-time.js";
import type { RunView } from "./run-query.js";

/** The legal hold, for every role: who set it, when, why, and what it means for the copies. */
export function RunHold({ hold }: { hold: NonNullable<RunView["hold"]> }) {
  return (
    <Alert color="indigo" variant="light" title="Under legal hold" icon={<IconLock aria-hidden />} data-testid="run-hold">
      <Text size="sm">
        Held by {hold.heldBy} since <DateTime value={hold.heldAt} />: <Text span fw={600}>{hold.reason}</Text>
      </Text>
      <Text size="sm" c="dimmed">
        Retention keeps every copy and nobody can delete it until an admin releases the hold.
      </Text>
    </Alert>
  );
}
