import { describePriority } from "@holdfast/shared";
import { Badge, Button, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "@tanstack/react-router";
import { queryKeys } from "../../api/query-keys.js";
import { Can } from "../../session/viewer.js";
import { DateTime } from "../../ui/date-time.js";
import { PageHeader } from "../../ui/page-header.js";
import { QueryView } from "../../ui/query-view.js";
import { AgentStatusBadge } from "../agents/agent-status-badge.js";
import { agentsQuery } from "../agents/agents-query.js";
import { BackupNowButton } from "./backup-now.js";
import { DatasourceChecks } from "./datasource-checks.js";
import { DatasourceHealth } from "./datasource-health.js";
import { DatasourceModal } from "./datasource-modal.js";
import { type DatasourceItem, datasourceQuery } from "./datasources-query.js";
import { CONNECTION_TEXTS, ENGINE_LABELS } from "./engine-texts.js";
import classes from "./datasources.module.css";
import { RetireDatasourceButton } from "./retire-datasource-button.js";

/** One datasource: its connection (the password never shown), checks through its agent, edit and retire. */
export function DatasourcePage() {
  const { id = "" } = useParams({ strict: false });
  const datasource = useQuery(datasourceQuery(id));
  return (
    <QueryView query={datasource} what="the datasource">
      {(ds) => <DatasourceView ds={ds} />}
    </QueryView>
  );
}

function DatasourceView({ ds }: { ds: DatasourceItem }) {
  const agents = useQuery(agentsQuery);
  const agent = agents.data?.find((a) => a.id === ds.agentId);
  const [editing, { open, close }] = useDisclosure(false);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const actions = (
    <>
      <Can route="POST /datasources/:id/backups">
        <BackupNowButton datasource={ds} />
      </Can>
      <Can route="PATCH /datasources/:id">
        <Button onClick={open}>Edit</Button>
      </Can>
      <Can route="DELETE /datasources/:id">
        <RetireDatasourceButton datasource={ds} onRetired={() => void navigate({ to: "/datasources" })} />
      </Can>
    </>
  );
  return (
    <>
      <Text size="sm" mb="xs">
        <Link to="/datasources">Datasources</Link> /
      </Text>
      <PageHeader title={ds.name} description={`${ENGINE_LABELS[ds.engine]} · ${ds.id}`} actions={actions} />
      <Stack gap="lg">
        <Paper withBorder p="md">
          <Title order={2} size="h4" mb="sm">
            Connection
          </Title>
          <dl className={classes.facts}>
            <dt>Agent</dt>
            <dd>
              <Group gap="xs">
                <span>{agent ? `${agent.name} (${agent.hostname})` : ds.agentId}</span>
                {agent && <AgentStatusBadge status={agent.status} />}
              </Group>
            </dd>
            {Object.entries(ds.connection as Record<string, unknown>).map(([field, value]) => (
              <ConnectionFact key={field} field={field} value={value} />
            ))}
            <dt>Longest run</dt>
            <dd>{ds.maxDurationMinutes} minutes</dd>
            <dt>Priority on its host</dt>
            <dd>{ds.priority ? describePriority(ds.priority) : "the agent's defaults"}</dd>
            {ds.tags.length > 0 && (
              <>
                <dt>Tags</dt>
                <dd>
                  <Group gap={4}>
                    {ds.tags.map((tag) => (
                      <Badge key={tag} size="sm" variant="outline" color="gray">
                        {tag}
                      </Badge>
                    ))}
                  </Group>
                </dd>
              </>
            )}
            {ds.note && (
              <>
                <dt>Note</dt>
                <dd className={classes.note}>{ds.note}</dd>
              </>
            )}
            <dt>Added</dt>
            <dd>
              <DateTime value={ds.createdAt} />
            </dd>
          </dl>
        </Paper>
        <DatasourceHealth datasourceId={ds.id} />
        <DatasourceChecks datasourceId={ds.id} listsDatabases={ds.engine === "postgres" || ds.engine === "mysql" || ds.engine === "mongodb"} />
      </Stack>
      <DatasourceModal
        opened={editing}
        stored={ds}
        onClose={close}
        onSaved={() => {
          close();
          void queryClient.invalidateQueries({ queryKey: queryKeys.datasources });
        }}
      />
    </>
  );
}

function ConnectionFact({ field, value }: { field: string; value: unknown }) {
  const label = CONNECTION_TEXTS[field]?.label ?? field;
  let shown: string;
  if (field === "password") shown = "set (write-only: never shown)";
  else if (Array.isArray(value)) shown = value.join(", ");
  else if (value && typeof value === "object") shown = Object.entries(value).map(([k, v]) => `${CONNECTION_TEXTS[`${field}.${k}`]?.label ?? k} ${String(v)}`).join(", ");
  else shown = String(value);
  return (
    <>
      <dt>{label}</dt>
      <dd>{shown}</dd>
    </>
  );
}
