import { Alert, Button, Group, List, Paper, Stack, Table, Text, Title } from "@mantine/core";
import { IconAlertTriangle, IconCircleCheck, IconCircleX } from "@tabler/icons-react";
import { useMutation, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.js";
import { formatBytes } from "../../format/bytes.js";
import { Can } from "../../session/viewer.js";
import { ErrorState } from "../../ui/states.js";
import { databasesQuery } from "./database-picker.js";
import classes from "./datasources.module.css";

/**
 * What the agent says of the datasource now: a connection test, the preflight a backup runs
 * (blocking issues and warnings), and the databases its credentials see. Each is asked on demand:
 * a test connects to the production database, so nothing here runs by itself.
 */
export function DatasourceChecks({ datasourceId, listsDatabases }: { datasourceId: string; listsDatabases: boolean }) {
  const test = useMutation({ mutationFn: () => unwrap(api.datasources[":id"].test.$post({ param: { id: datasourceId } })) });
  const preflight = useMutation({ mutationFn: () => unwrap(api.datasources[":id"].preflight.$post({ param: { id: datasourceId } })) });
  const databases = useQuery(databasesQuery(datasourceId));
  return (
    <Paper withBorder p="md">
      <Stack>
        <Title order={2} size="h4">
          Checks through the agent
        </Title>
        <Group gap="sm">
          <Can route="POST /datasources/:id/test">
            <Button variant="default" loading={test.isPending} onClick={() => test.mutate()}>
              Test connection
            </Button>
          </Can>
          <Can route="POST /datasources/:id/preflight">
            <Button variant="default" loading={preflight.isPending} onClick={() => preflight.mutate()}>
              Run preflight
            </Button>
          </Can>
          {listsDatabases && (
            <Button variant="default" loading={databases.isFetching} onClick={() => void databases.refetch()}>
              List databases
            </Button>
          )}
        </Group>
        <div aria-live="polite">
          {test.isError && <ErrorState title="Connection test failed" error={test.error} />}
          {test.data && (
            <Alert color="green" variant="light" classNames={{ title: classes.outcomeTitle }} title="Connected" icon={<IconCircleCheck aria-hidden />}>
              <Text size="sm">
                {test.data.serverVersion} answered in {Math.round(test.data.latencyMs)} ms
                {test.data.databaseSizeBytes !== null && `; the database holds ${formatBytes(test.data.databaseSizeBytes)}`}.
              </Text>
            </Alert>
          )}
        </div>
        <div aria-live="polite">
          {preflight.isError && <ErrorState title="The preflight could not run" error={preflight.error} />}
          {preflight.data && <PreflightResult result={preflight.data} />}
        </div>
        {databases.isError && <ErrorState title="Could not list the databases" error={databases.error} />}
        {databases.data && (
          <Table aria-label="Databases on the server">
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Database</Table.Th>
                <Table.Th scope="col" ta="right">
                  Size
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {databases.data.items.map((d) => (
                <Table.Tr key={d.name}>
                  <Table.Td className={classes.wrap}>{d.name}</Table.Td>
                  <Table.Td ta="right">{formatBytes(d.sizeBytes)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Paper>
  );
}

type Preflight = Awaited<ReturnType<typeof unwrap<Awaited<ReturnType<(typeof api.datasources)[":id"]["preflight"]["$post"]>>>>>;

function PreflightResult({ result }: { result: Preflight }) {
  const tool = result.toolStatus;
  return (
    <Stack gap="sm">
      {result.ok ? (
        <Alert color="green" variant="light" classNames={{ title: classes.outcomeTitle }} title="Ready to back up" icon={<IconCircleCheck aria-hidden />} />
      ) : (
        <Alert color="red" variant="light" classNames={{ title: classes.outcomeTitle }} title="A backup would be refused" icon={<IconCircleX aria-hidden />}>
          <List size="sm">
            {result.blockingIssues.map((i) => (
              <List.Item key={i.code + i.message}>
                <Text span size="sm" fw={600}>
                  {i.code}
                </Text>
                : {i.message}
              </List.Item>
            ))}
          </List>
        </Alert>
      )}
      {result.warnings.length > 0 && (
        <Alert color="yellow" variant="light" classNames={{ title: classes.outcomeTitle }} title={`Warning${result.warnings.length === 1 ? "" : "s"}`} icon={<IconAlertTriangle aria-hidden />}>
          <List size="sm">
            {result.warnings.map((w) => (
              <List.Item key={w.code + w.message}>{w.message}</List.Item>
            ))}
          </List>
        </Alert>
      )}
      <Text size="sm" c="dimmed">
        {tool.found ? `${tool.tool} ${tool.version ?? ""}` : `${tool.tool} not found`}
        {tool.serverMajor !== null && `, server ${tool.serverMajor}`}
        {tool.compatible === false && " (incompatible)"}; compression {tool.codec.name} {tool.codec.available ? "available" : "missing"}; staging folder{" "}
        {tool.stagingWritable ? "writable" : "not writable"}, {formatBytes(tool.freeBytes)} free
        {tool.lastDumpBytes !== null && `; last dump ${formatBytes(tool.lastDumpBytes)}`}.
      </Text>
    </Stack>
  );
}
