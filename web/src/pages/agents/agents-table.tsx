import { Anchor, Group, Stack, Table, Text, VisuallyHidden } from "@mantine/core";
import { Link } from "@tanstack/react-router";
import { viewerTimeZone } from "../../format/time.js";
import { Can } from "../../session/viewer.js";
import { DateTime } from "../../ui/date-time.js";
import { AgentStatusBadge } from "./agent-status-badge.js";
import { InsecureLinkBadge } from "./insecure-link-badge.js";
import type { AgentItem } from "./agents-query.js";
import { AgentVersion, IncompatibleReason } from "./agent-version.js";
import { RevokeAgentButton } from "./revoke-agent-button.js";
import classes from "./agents-page.module.css";

/** The agents as a table, for windows wide enough for one. */
export function AgentsTable({ items }: { items: AgentItem[] }) {
  return (
    <Table verticalSpacing="sm" highlightOnHover>
      <Table.Caption>
        {items.length} agent{items.length === 1 ? "" : "s"}
      </Table.Caption>
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col">Agent</Table.Th>
          <Table.Th scope="col">Status</Table.Th>
          <Table.Th scope="col">Version</Table.Th>
          <Table.Th scope="col">Last seen ({viewerTimeZone()})</Table.Th>
          <Table.Th scope="col">
            <VisuallyHidden>Actions</VisuallyHidden>
          </Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {items.map((agent) => (
          <Table.Tr key={agent.id}>
            <Table.Td className={classes.nameCell}>
              <AgentIdentity agent={agent} />
            </Table.Td>
            <Table.Td>
              <Group gap="xs">
                <AgentStatusBadge status={agent.status} />
                <InsecureLinkBadge linkSecurity={agent.linkSecurity} />
              </Group>
              <IncompatibleReason agent={agent} />
            </Table.Td>
            <Table.Td>
              <AgentVersion agent={agent} />
            </Table.Td>
            <Table.Td>
              <DateTime value={agent.lastSeenAt} relative withZone={false} />
            </Table.Td>
            <Table.Td ta="right">
              {agent.status !== "revoked" && (
                <Can route="POST /agents/:id/revoke">
                  <RevokeAgentButton agent={agent} />
                </Can>
              )}
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** Name, host and id, each wrapping anywhere: agents are named by people and hosts can be long. */
export function AgentIdentity({ agent }: { agent: Pick<AgentItem, "name" | "hostname" | "id"> }) {
  return (
    <Stack gap={0} miw={0}>
      <Anchor renderRoot={(props) => <Link to="/agents/$agentId" params={{ agentId: agent.id }} {...props} />} fw={600} className={classes.wrap}>
        {agent.name}
      </Anchor>
      <Text size="sm" c="dimmed" className={classes.wrap}>
        {agent.hostname}
      </Text>
      <Text size="xs" c="dimmed" ff="monospace" className={classes.wrap}>
        {agent.id}
      </Text>
    </Stack>
  );
}
