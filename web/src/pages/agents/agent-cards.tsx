import { Group, Paper, Stack, Text } from "@mantine/core";
import { Can } from "../../session/viewer.js";
import { DateTime } from "../../ui/date-time.js";
import { AgentStatusBadge } from "./agent-status-badge.js";
import { InsecureLinkBadge } from "./insecure-link-badge.js";
import type { AgentItem } from "./agents-query.js";
import { AgentVersion, IncompatibleReason } from "./agent-version.js";
import { AgentIdentity } from "./agents-table.js";
import { RevokeAgentButton } from "./revoke-agent-button.js";
import classes from "./agents-page.module.css";

/** The agents as a list of cards, for a phone: nothing is cut off or scrolled sideways. */
export function AgentCards({ items }: { items: AgentItem[] }) {
  return (
    <Stack gap="sm" component="ul" aria-label="Agents" className={classes.cardList}>
      {items.map((agent) => (
        <Paper key={agent.id} component="li" withBorder p="sm">
          <Group justify="space-between" align="flex-start" wrap="nowrap" gap="sm">
            <AgentIdentity agent={agent} />
            <div className={classes.keepWhole}>
              <Stack gap={4} align="flex-end">
                <AgentStatusBadge status={agent.status} />
                <InsecureLinkBadge linkSecurity={agent.linkSecurity} />
              </Stack>
            </div>
          </Group>
          <IncompatibleReason agent={agent} />
          <Text size="sm" mt="xs" component="div">
            Version <AgentVersion agent={agent} />
          </Text>
          <Text size="sm">
            Last seen <DateTime value={agent.lastSeenAt} relative />
          </Text>
          {agent.status !== "revoked" && (
            <Group justify="flex-end" mt="xs">
              <Can route="POST /agents/:id/revoke">
                <RevokeAgentButton agent={agent} />
              </Can>
            </Group>
          )}
        </Paper>
      ))}
    </Stack>
  );
}
