import { Group, Paper, Stack, Table, Text, Title } from "@mantine/core";
import { queryOptions, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { formatBytes } from "../../format/bytes.js";
import { DateTime } from "../../ui/date-time.js";
import { HealthBadge } from "../../ui/health-badge.js";
import { QueryView } from "../../ui/query-view.js";
import classes from "./datasources.module.css";

/** Checks are recorded without a live event: the panel reads them again every minute while open. */
const healthQuery = (id: string) =>
  queryOptions({
    queryKey: [...queryKeys.datasource(id), "health"] as const,
    queryFn: () => unwrap(api.datasources[":id"].health.$get({ param: { id }, query: {} })),
    refetchInterval: 60_000,
  });

const RESULT_LABELS: Record<string, string> = { ok: "ok", timeout: "timed out", auth_failed: "refused the credentials", unreachable: "unreachable", error: "failed" };

/** The periodic health checks through the agent: status, the newest latency, version and size, and the last results. */
export function DatasourceHealth({ datasourceId }: { datasourceId: string }) {
  const health = useQuery(healthQuery(datasourceId));
  return (
    <Paper withBorder p="md">
      <QueryView query={health} what="the health checks">
        {(h) => {
          const lastOk = h.checks.find((c) => c.result === "ok");
          return (
            <Stack>
              <Group justify="space-between">
                <Title order={2} size="h4">
                  Health
                </Title>
                <HealthBadge status={h.status} />
              </Group>
              <dl className={classes.facts}>
                <dt>Checked</dt>
                <dd>{intervalText(h.intervalMinutes)}</dd>
                <dt>Latency</dt>
                <dd>{lastOk?.latencyMs != null ? `${Math.round(lastOk.latencyMs)} ms` : "—"}</dd>
                <dt>Server version</dt>
                <dd>{lastOk?.serverVersion ?? "—"}</dd>
                <dt>Database size</dt>
                <dd>{lastOk?.sizeBytes != null ? formatBytes(lastOk.sizeBytes) : "—"}</dd>
                {h.consecutiveFailures > 0 && (
                  <>
                    <dt>Failures in a row</dt>
                    <dd>{h.consecutiveFailures}</dd>
                  </>
                )}
              </dl>
              {h.checks.length === 0 ? (
                <Text size="sm" c="dimmed">
                  Not checked yet.
                </Text>
              ) : (
                <Table aria-label="Recent health checks, newest first">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th scope="col">When</Table.Th>
                      <Table.Th scope="col">Result</Table.Th>
                      <Table.Th scope="col">Detail</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {h.checks.slice(0, 10).map((c) => (
                      <Table.Tr key={c.checkedAt}>
                        <Table.Td>
                          <DateTime value={c.checkedAt} relative withZone={false} />
                        </Table.Td>
                        <Table.Td>{RESULT_LABELS[c.result] ?? c.result}</Table.Td>
                        <Table.Td className={classes.wrap}>{c.error ? `${c.error.code}: ${c.error.message}` : c.latencyMs != null ? `${Math.round(c.latencyMs)} ms` : ""}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              )}
            </Stack>
          );
        }}
      </QueryView>
    </Paper>
  );
}

function intervalText(minutes: number): string {
  if (minutes === 0) return "never: the control plane's health checks are off";
  return `every ${minutes >= 1 ? `${minutes} min` : `${Math.round(minutes * 60)} s`} through its agent`;
}
