import { Anchor, Badge, Box, Button, Group, Paper, Stack, Table, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconDatabase, IconPlus } from "@tabler/icons-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import { queryKeys } from "../../api/query-keys.js";
import { viewerTimeZone } from "../../format/time.js";
import { Can } from "../../session/viewer.js";
import { DateTime } from "../../ui/date-time.js";
import { PageHeader } from "../../ui/page-header.js";
import { QueryView } from "../../ui/query-view.js";
import { HealthBadge } from "../../ui/health-badge.js";
import { EmptyState } from "../../ui/states.js";
import { AgentStatusBadge } from "../agents/agent-status-badge.js";
import { type AgentItem, agentsQuery } from "../agents/agents-query.js";
import { DatasourceModal } from "./datasource-modal.js";
import { type DatasourceItem, datasourcesQuery, statsQuery } from "./datasources-query.js";
import { ENGINE_LABELS } from "./engine-texts.js";
import classes from "./datasources.module.css";

/** The datasources: what each backs up, through which agent, whether that agent is there, and the last good backup. */
export function DatasourcesPage() {
  const datasources = useQuery(datasourcesQuery);
  const agents = useQuery(agentsQuery);
  const stats = useQuery(statsQuery);
  const [adding, { open, close }] = useDisclosure(false);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const rowOf = (ds: DatasourceItem): Row => ({
    ds,
    agent: agents.data?.find((a) => a.id === ds.agentId),
    lastBackup: stats.data?.lastGoodBackup.find((b) => b.datasourceId === ds.id)?.finishedAt ?? null,
  });
  const add = (
    <Can route="POST /datasources">
      <Button leftSection={<IconPlus size={16} aria-hidden />} onClick={open}>
        Add datasource
      </Button>
    </Can>
  );
  return (
    <>
      <PageHeader title="Datasources" description="The databases and folders Holdfast backs up, each through the agent on its host." actions={add} />
      <QueryView
        query={datasources}
        what="datasources"
        isEmpty={(items) => items.length === 0}
        empty={
          <EmptyState title="No datasources yet" icon={<IconDatabase size={32} stroke={1.4} aria-hidden />}>
            <Text c="dimmed">Add the first database or folder to back up: its agent connects to it and tests it before it is saved.</Text>
          </EmptyState>
        }
      >
        {(items) => (
          <>
            <Box visibleFrom="sm">
              <DatasourcesTable rows={items.map(rowOf)} />
            </Box>
            <Box hiddenFrom="sm">
              <DatasourceCards rows={items.map(rowOf)} />
            </Box>
          </>
        )}
      </QueryView>
      <DatasourceModal
        opened={adding}
        onClose={close}
        onSaved={(id) => {
          close();
          void queryClient.invalidateQueries({ queryKey: queryKeys.datasources });
          void navigate({ to: "/datasources/$id", params: { id } });
        }}
      />
    </>
  );
}

interface Row {
  ds: DatasourceItem;
  agent: AgentItem | undefined;
  lastBackup: string | null;
}

function DatasourceName({ ds }: { ds: DatasourceItem }) {
  return (
    <Stack gap={2} miw={0}>
      <Anchor renderRoot={(props) => <Link {...props} to="/datasources/$id" params={{ id: ds.id }} />} fw={600} className={classes.wrap}>
        {ds.name}
      </Anchor>
      {ds.tags.length > 0 && (
        <Group gap={4}>
          {ds.tags.map((tag) => (
            <Badge key={tag} size="xs" variant="outline" color="gray" className={classes.wrap}>
              {tag}
            </Badge>
          ))}
        </Group>
      )}
    </Stack>
  );
}

function AgentCell({ agent, agentId }: { agent: AgentItem | undefined; agentId: string }) {
  if (!agent) return <Text size="sm" c="dimmed" ff="monospace" className={classes.wrap}>{agentId}</Text>;
  return (
    <Group gap="xs" wrap="wrap">
      <Text size="sm" className={classes.wrap}>
        {agent.name}
      </Text>
      <AgentStatusBadge status={agent.status} />
    </Group>
  );
}

/** The health status, its last failure in the hint. */
function DatasourceHealthBadge({ ds }: { ds: DatasourceItem }) {
  const error = ds.health.lastCheck?.error;
  return <HealthBadge status={ds.health.status} hint={error ? `${error.code}: ${error.message}` : null} />;
}

function DatasourcesTable({ rows }: { rows: Row[] }) {
  return (
    <Table verticalSpacing="sm" highlightOnHover>
      <Table.Caption>
        {rows.length} datasource{rows.length === 1 ? "" : "s"}
      </Table.Caption>
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col">Datasource</Table.Th>
          <Table.Th scope="col">Engine</Table.Th>
          <Table.Th scope="col">Agent</Table.Th>
          <Table.Th scope="col">Health</Table.Th>
          <Table.Th scope="col">Last good backup ({viewerTimeZone()})</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map(({ ds, agent, lastBackup }) => (
          <Table.Tr key={ds.id}>
            <Table.Td className={classes.nameCell}>
              <DatasourceName ds={ds} />
            </Table.Td>
            <Table.Td>{ENGINE_LABELS[ds.engine]}</Table.Td>
            <Table.Td>
              <AgentCell agent={agent} agentId={ds.agentId} />
            </Table.Td>
            <Table.Td>
              <DatasourceHealthBadge ds={ds} />
            </Table.Td>
            <Table.Td>
              <DateTime value={lastBackup} relative withZone={false} />
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function DatasourceCards({ rows }: { rows: Row[] }) {
  return (
    <Stack gap="sm" component="ul" aria-label="Datasources" className={classes.cardList}>
      {rows.map(({ ds, agent, lastBackup }) => (
        <Paper key={ds.id} component="li" withBorder p="sm">
          <DatasourceName ds={ds} />
          <Text size="sm" mt="xs">
            {ENGINE_LABELS[ds.engine]}
          </Text>
          <AgentCell agent={agent} agentId={ds.agentId} />
          <Group gap="xs">
            <Text size="sm">Health</Text>
            <DatasourceHealthBadge ds={ds} />
          </Group>
          <Text size="sm">
            Last good backup <DateTime value={lastBackup} relative />
          </Text>
        </Paper>
      ))}
    </Stack>
  );
}
