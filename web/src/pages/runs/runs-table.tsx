import { Anchor, Group, Paper, Stack, Table, Text } from "@mantine/core";
import { Link } from "@tanstack/react-router";
import { formatBytes } from "../../format/bytes.js";
import { viewerTimeZone } from "../../format/time.js";
import { useRunProgress } from "../../live/index.js";
import { DateTime } from "../../ui/date-time.js";
import { HeldBadge } from "./held-badge.js";
import { RunStateBadge } from "./run-state-badge.js";
import { runBegan, runDuration, runSize, runTitle } from "./run-summary.js";
import type { RunItem } from "./runs-query.js";
import classes from "./runs.module.css";

type Names = (datasourceId: string) => string;

/** The runs as a table, for windows wide enough for one. */
export function RunsTable({ items, nameOf }: { items: RunItem[]; nameOf: Names }) {
  return (
    <Table verticalSpacing="sm" highlightOnHover>
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col">Run</Table.Th>
          <Table.Th scope="col">Datasource</Table.Th>
          <Table.Th scope="col">Status</Table.Th>
          <Table.Th scope="col">Trigger</Table.Th>
          <Table.Th scope="col">Started ({viewerTimeZone()})</Table.Th>
          <Table.Th scope="col">Duration</Table.Th>
          <Table.Th scope="col">Size</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {items.map((run) => (
          <Table.Tr key={run.runId}>
            <Table.Td className={classes.wrap}>
              <RunLink run={run} />
            </Table.Td>
            <Table.Td className={classes.wrap}>{nameOf(run.datasourceId)}</Table.Td>
            <Table.Td>
              <Group gap={6} wrap="nowrap">
                <RunStateBadge state={run.state} />
                {run.hold && <HeldBadge reason={run.hold.reason} />}
                {run.state === "running" && <LiveBytes runId={run.runId} />}
              </Group>
            </Table.Td>
            <Table.Td>{run.trigger}</Table.Td>
            <Table.Td>
              <DateTime value={runBegan(run)} withZone={false} />
            </Table.Td>
            <Table.Td>{runDuration(run)}</Table.Td>
            <Table.Td>{runSize(run)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** The runs as cards, for a phone. */
export function RunCards({ items, nameOf }: { items: RunItem[]; nameOf: Names }) {
  return (
    <Stack gap="sm" component="ul" aria-label="Runs" className={classes.cardList}>
      {items.map((run) => (
        <Paper key={run.runId} component="li" withBorder p="sm">
          <Group justify="space-between" align="flex-start" wrap="nowrap" gap="sm">
            <Stack gap={0} miw={0} className={classes.wrap}>
              <RunLink run={run} />
              <Text size="sm">{nameOf(run.datasourceId)}</Text>
            </Stack>
            <Group gap={6} wrap="nowrap" className={classes.keepWhole}>
              <RunStateBadge state={run.state} />
              {run.hold && <HeldBadge reason={run.hold.reason} />}
            </Group>
          </Group>
          <Text size="sm" mt="xs">
            <DateTime value={runBegan(run)} /> · {run.trigger}
          </Text>
          <Text size="sm" c="dimmed">
            {runDuration(run)} · {runSize(run)}
          </Text>
        </Paper>
      ))}
    </Stack>
  );
}

function RunLink({ run }: { run: RunItem }) {
  return (
    <Stack gap={0} miw={0}>
      <Anchor component={Link} to={`/runs/${encodeURIComponent(run.runId)}`} fw={600}>
        {runTitle(run)}
      </Anchor>
      <Text size="xs" c="dimmed" ff="monospace" className={classes.wrap}>
        {run.runId}
      </Text>
    </Stack>
  );
}

/** Bytes done so far, following the live stream. */
function LiveBytes({ runId }: { runId: string }) {
  const progress = useRunProgress(runId);
  if (!progress) return null;
  return (
    <Text size="sm" c="dimmed">
      {formatBytes(progress.bytes)}
    </Text>
  );
}
