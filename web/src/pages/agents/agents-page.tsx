import { Stack, Table, Text, VisuallyHidden } from "@mantine/core";
import { IconServer2 } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { viewerTimeZone } from "../../format/time.js";
import { Can } from "../../session/viewer.js";
import { DateTime } from "../../ui/date-time.js";
import { PageHeader } from "../../ui/page-header.js";
import { QueryView } from "../../ui/query-view.js";
import { EmptyState } from "../../ui/states.js";
import { AgentStatusBadge } from "./agent-status-badge.js";
import { agentsQuery } from "./agents-query.js";
import { EnrollHint } from "./enroll-hint.js";
import { RevokeAgentButton } from "./revoke-agent-button.js";
import classes from "./agents-page.module.css";

/** The agents: who they are, whether they are connected, when they were last seen; an admin may revoke one. */
export function AgentsPage() {
  const agents = useQuery(agentsQuery);
  return (
    <>
      <PageHeader title="Agents" description="The daemons on your database hosts. Each one dials in to this control plane and runs its backups." />
      <QueryView
        query={agents}
        what="agents"
        isEmpty={(items) => items.length === 0}
        empty={
          <EmptyState title="No agents yet" icon={<IconServer2 size={32} stroke={1.4} aria-hidden />}>
            <EnrollHint />
          </EmptyState>
        }
      >
        {(items) => (
          <Table.ScrollContainer minWidth={640}>
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
                      <Stack gap={0}>
                        <Text fw={600} className={classes.wrap}>
                          {agent.name}
                        </Text>
                        <Text size="sm" c="dimmed" className={classes.wrap}>
                          {agent.hostname}
                        </Text>
                        <Text size="xs" c="dimmed" ff="monospace" className={classes.wrap}>
                          {agent.id}
                        </Text>
                      </Stack>
                    </Table.Td>
                    <Table.Td>
                      <AgentStatusBadge status={agent.status} />
                    </Table.Td>
                    <Table.Td>{agent.version ?? <Text span c="dimmed">unknown</Text>}</Table.Td>
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
          </Table.ScrollContainer>
        )}
      </QueryView>
    </>
  );
}
