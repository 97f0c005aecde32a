import { Stack, Table, Text, Title } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { Can } from "../../session/viewer.js";
import { ConfirmButton } from "../../ui/confirm-button.js";
import { DateTime } from "../../ui/date-time.js";
import { QueryView } from "../../ui/query-view.js";
import { agentQueueQuery } from "./agent-queries.js";

/** The agent's own queue: the run it is running and those waiting, in order, each cancellable by an operator. */
export function AgentQueuePanel({ id }: { id: string }) {
  const queue = useQuery(agentQueueQuery(id));
  return (
    <Stack gap="xs" component="section" aria-label="Queue">
      <Title order={2} size="h4">
        Queue
      </Title>
      <QueryView query={queue} what="the queue">
        {(q) => {
          const rows = [...(q.running ? [{ runId: q.running.runId, datasourceId: q.running.datasourceId, trigger: q.running.trigger, at: q.running.startedAt, place: "running" }] : []), ...q.queued.map((r) => ({ runId: r.runId, datasourceId: r.datasourceId, trigger: r.trigger, at: r.queuedAt, place: `#${r.position}` }))];
          if (rows.length === 0)
            return (
              <Text c="dimmed" size="sm">
                Nothing running or waiting (room for {q.maxQueueSize} queued runs).
              </Text>
            );
          return (
            <Table.ScrollContainer minWidth={560}>
              <Table>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">Place</Table.Th>
                    <Table.Th scope="col">Run</Table.Th>
                    <Table.Th scope="col">Trigger</Table.Th>
                    <Table.Th scope="col">Since</Table.Th>
                    <Table.Th scope="col">Actions</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {rows.map((r) => (
                    <Table.Tr key={r.runId}>
                      <Table.Td>{r.place}</Table.Td>
                      <Table.Td ff="monospace">{r.runId}</Table.Td>
                      <Table.Td>{r.trigger}</Table.Td>
                      <Table.Td>
                        <DateTime value={r.at} relative withZone={false} />
                      </Table.Td>
                      <Table.Td>
                        <Can route="POST /runs/:runId/cancel">
                          <CancelRun runId={r.runId} agentId={id} running={r.place === "running"} />
                        </Can>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          );
        }}
      </QueryView>
    </Stack>
  );
}

function CancelRun({ runId, agentId, running }: { runId: string; agentId: string; running: boolean }) {
  const queryClient = useQueryClient();
  return (
    <ConfirmButton
      label="Cancel"
      ariaLabel={`Cancel run ${runId}`}
      title={`Cancel run ${runId}?`}
      failed="The run was not cancelled"
      onConfirm={async () => {
        await unwrap(api.runs[":runId"].cancel.$post({ param: { runId }, json: {} }));
        await Promise.all([queryClient.invalidateQueries({ queryKey: queryKeys.agent(agentId) }), queryClient.invalidateQueries({ queryKey: queryKeys.runs })]);
      }}
    >
      {running ? "The dump is stopped and its staged files removed; the run ends cancelled and nothing is delivered." : "It leaves the queue and never runs; the run ends cancelled."}
    </ConfirmButton>
  );
}
