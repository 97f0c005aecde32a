import { Badge, Group, Text } from "@mantine/core";
import type { AgentItem } from "./agents-query.js";

/** The agent's version, marked when the control plane is newer (the agent can be upgraded). */
export function AgentVersion({ agent }: { agent: Pick<AgentItem, "version" | "updateAvailable"> }) {
  return (
    <Group gap={6} wrap="wrap" component="span">
      {agent.version ?? (
        <Text span inherit c="dimmed">
          unknown
        </Text>
      )}
      {agent.updateAvailable && (
        <Badge color="blue" variant="light" size="sm" title="This control plane is newer: run holdfast-agent upgrade on the host">
          update available
        </Badge>
      )}
    </Group>
  );
}

/** Why an incompatible agent is refused (which side to upgrade); nothing for any other status. */
export function IncompatibleReason({ agent }: { agent: Pick<AgentItem, "status" | "statusReason"> }) {
  if (agent.status !== "incompatible" || !agent.statusReason) return null;
  return (
    <Text size="sm" role="note">
      {agent.statusReason}
    </Text>
  );
}
