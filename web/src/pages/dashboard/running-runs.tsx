import { Badge, Group, Paper, Progress, Stack, Text } from "@mantine/core";
import { formatBytes } from "../../format/bytes.js";
import { useRunProgress } from "../../live/index.js";
import { DateTime } from "../../ui/date-time.js";
import type { RunningRun } from "./dashboard-queries.js";
import classes from "./dashboard.module.css";

/** One running run: what it does now and how far it got, live from the event stream when it reports. */
function RunningRunRow({ run, datasourceName }: { run: RunningRun; datasourceName: string }) {
  const live = useRunProgress(run.runId);
  const step = live?.step ?? run.step ?? "starting";
  const bytes = live?.bytes ?? run.progressBytes;
  const percent = live?.percent ?? null;
  const label = `${run.kind} of ${datasourceName}`;
  return (
    <Paper withBorder p="sm" radius="md" component="li">
      <Group justify="space-between" wrap="wrap" gap="xs" mb={6}>
        <Group gap="xs" miw={0}>
          <Badge variant="default">
            {run.kind}
          </Badge>
          <Text fw={600} className={classes.name}>
            {datasourceName}
          </Text>
        </Group>
        <Text size="sm" c="dimmed">
          started <DateTime value={run.startedAt ?? run.queuedAt} relative />
        </Text>
      </Group>
      <Progress
        value={percent ?? 100}
        striped={percent === null}
        animated={percent === null}
        aria-label={`Progress of the ${label}`}
        aria-valuetext={percent === null ? `${step}, ${formatBytes(bytes ?? 0)} so far` : `${Math.round(percent)} percent`}
        mb={6}
      />
      <Text size="sm" c="dimmed">
        {step}
        {bytes !== null && bytes !== undefined && ` · ${formatBytes(bytes)} written`}
        {live?.bytesPerSecond ? ` · ${formatBytes(live.bytesPerSecond)}/s` : ""}
        {percent !== null && ` · ${Math.round(percent)} %`}
      </Text>
    </Paper>
  );
}

/** The runs running now, each with its live progress. */
export function RunningRuns({ runs, names }: { runs: RunningRun[]; names: Map<string, string> }) {
  return (
    <Stack component="ul" gap="xs" className={classes.list}>
      {runs.map((run) => (
        <RunningRunRow key={run.runId} run={run} datasourceName={names.get(run.datasourceId) ?? run.datasourceId} />
      ))}
    </Stack>
  );
}
