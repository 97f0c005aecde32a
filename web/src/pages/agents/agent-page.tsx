import { Anchor, Badge, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from "@mantine/core";
import { IconServerOff } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "@tanstack/react-router";
import type { ReactNode } from "react";
import { formatBytes } from "../../format/bytes.js";
import { Can } from "../../session/viewer.js";
import { DateTime } from "../../ui/date-time.js";
import { PageHeader } from "../../ui/page-header.js";
import { QueryView } from "../../ui/query-view.js";
import { EmptyState } from "../../ui/states.js";
import { AgentQueuePanel } from "./agent-queue-panel.js";
import { AgentBlackoutPanel } from "./agent-blackout.js";
import { capText, EditTransferCapButton } from "./agent-transfer-cap.js";
import { agentCapabilitiesQuery, agentHealthQuery } from "./agent-queries.js";
import { AgentStatusBadge } from "./agent-status-badge.js";
import { InsecureLinkBadge } from "./insecure-link-badge.js";
import { type AgentItem, agentsQuery } from "./agents-query.js";
import { AgentVersion, IncompatibleReason } from "./agent-version.js";
import { RevokeAgentButton } from "./revoke-agent-button.js";
import classes from "./agents-page.module.css";

/** One agent: what the control plane knows (status, version, last seen) and, while it is online, what it says itself (capabilities, health, queue). */
export function AgentPage() {
  const { agentId } = useParams({ strict: false });
  const agents = useQuery(agentsQuery);
  return (
    <QueryView query={agents} what="the agent">
      {(items) => {
        const agent = items.find((a) => a.id === agentId);
        if (!agent) return <UnknownAgent id={agentId ?? ""} />;
        return <AgentDetail agent={agent} />;
      }}
    </QueryView>
  );
}

function UnknownAgent({ id }: { id: string }) {
  return (
    <>
      <PageHeader title="Agent not found" />
      <EmptyState title={`No agent ${id}`} icon={<IconServerOff size={32} stroke={1.4} aria-hidden />}>
        <Text c="dimmed">
          Its id may be mistyped. <Anchor component={Link} to="/agents">See every agent</Anchor>.
        </Text>
      </EmptyState>
    </>
  );
}

function AgentDetail({ agent }: { agent: AgentItem }) {
  const online = agent.status === "online";
  return (
    <>
      <PageHeader
        title={agent.name}
        description={<span className={classes.wrap}>{agent.hostname}</span>}
        actions={
          agent.status !== "revoked" && (
            <Can route="POST /agents/:id/revoke">
              <RevokeAgentButton agent={agent} />
            </Can>
          )
        }
      />
      <Stack gap="lg">
        <SimpleGrid cols={{ base: 1, sm: 2, md: 4 }}>
          <Fact label="Status">
            <Group gap="xs">
              <AgentStatusBadge status={agent.status} />
              <InsecureLinkBadge linkSecurity={agent.linkSecurity} />
            </Group>
          </Fact>
          <Fact label="Version">
            <AgentVersion agent={agent} />
          </Fact>
          <Fact label="Last seen">
            <DateTime value={agent.lastSeenAt} relative />
          </Fact>
          <Fact label="Upload cap">
            <Group gap="xs" justify="space-between" wrap="nowrap">
              {capText(agent.transferCapMiBps)}
              {agent.status !== "revoked" && (
                <Can route="PATCH /agents/:id">
                  <EditTransferCapButton agent={agent} />
                </Can>
              )}
            </Group>
          </Fact>
        </SimpleGrid>
        <IncompatibleReason agent={agent} />
        <AgentBlackoutPanel key={agent.id} agent={agent} />
        <Text size="xs" c="dimmed" ff="monospace" className={classes.wrap}>
          {agent.id}
        </Text>
        {online ? (
          <>
            <Capabilities id={agent.id} />
            <Health id={agent.id} />
            <AgentQueuePanel id={agent.id} />
          </>
        ) : (
          <Text c="dimmed">Its capabilities, health and queue are asked of the agent itself: they show while it is online.</Text>
        )}
      </Stack>
    </>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Paper withBorder p="sm">
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text component="div" fw={600}>
        {children}
      </Text>
    </Paper>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Stack gap="xs" component="section" aria-label={title}>
      <Title order={2} size="h4">
        {title}
      </Title>
      {children}
    </Stack>
  );
}

function Capabilities({ id }: { id: string }) {
  const caps = useQuery(agentCapabilitiesQuery(id));
  return (
    <Section title="Capabilities">
      <QueryView query={caps} what="capabilities">
        {(c) => (
          <>
            <Table.ScrollContainer minWidth={360}>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">Engine</Table.Th>
                    <Table.Th scope="col">Tool</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {c.engines.map((e) => (
                    <Table.Tr key={e.engine}>
                      <Table.Td>{e.engine}</Table.Td>
                      <Table.Td>{e.available ? e.toolVersion ?? "available" : <Badge color="gray" variant="light">not installed</Badge>}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Text size="sm">
              Compression: {c.codecs.join(", ") || "none"} · protocol {c.protocolVersion}
            </Text>
          </>
        )}
      </QueryView>
    </Section>
  );
}

function Health({ id }: { id: string }) {
  const health = useQuery(agentHealthQuery(id));
  return (
    <Section title="Health">
      <QueryView query={health} what="health">
        {(h) => (
          <Group gap="lg">
            <Badge color={h.status === "ok" ? "green" : "orange"} variant="filled">
              {h.status}
            </Badge>
            <Text size="sm">Up {Math.floor(h.uptimeSeconds / 60)} min</Text>
            <Text size="sm">Staging space free: {formatBytes(h.stagingFreeBytes)}</Text>
            <Text size="sm">Events not yet acknowledged: {h.unackedEvents}</Text>
          </Group>
        )}
      </QueryView>
    </Section>
  );
}
