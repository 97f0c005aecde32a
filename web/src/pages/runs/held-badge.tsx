import { Badge } from "@mantine/core";
import { IconLock } from "@tabler/icons-react";

/** "held": the backup is under a legal hold (the word carries it; the reason is in the title and on the run's page). */
export function HeldBadge({ reason }: { reason: string }) {
  return (
    <Badge component="span" color="indigo" variant="filled" miw="max-content" leftSection={<IconLock size={12} aria-hidden />} title={`Legal hold: ${reason}`}>
      held
    </Badge>
  );
}
