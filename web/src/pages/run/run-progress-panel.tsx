import { Progress, SimpleGrid, Stack, Text } from "@mantine/core";
import { RunSection } from "./run-section.js";
import { formatBytes } from "../../format/bytes.js";
import { formatDuration } from "../../format/time.js";
import { etaSeconds, useLiveStatus, useRunProgress } from "../../live/index.js";
import { useNow } from "../../ui/use-now.js";
import type { RunView } from "./run-query.js";

const STEP_WORDS: Record<string, string> = {
  preflight: "Checking the datasource",
  dump: "Dumping",
  compress: "Compressing",
  stage: "Staging the artifact",
  drill: "Restore drill",
  verify: "Verifying",
  download: "Downloading the backup",
  restore: "Restoring",
};

/** How far an active run is: step, bytes, rate, percent and time left when known, following the live stream. */
export function RunProgressPanel({ run }: { run: RunView }) {
  const live = useRunProgress(run.runId);
  const status = useLiveStatus();
  const now = useNow(1_000);
  const step = live?.step ?? run.step;
  const bytes = live?.bytes ?? run.progressBytes;
  const eta = live ? etaSeconds(live) : undefined;
  const waiting = run.state !== "running";
  return (
    <RunSection title="Progress">
      <Stack gap="sm">
        {waiting ? (
          <Text>{run.state === "queued" ? "Waiting on its agent for a free slot." : "Recorded; waiting to be sent to its agent."}</Text>
        ) : (
          <>
            <SimpleGrid cols={{ base: 2, sm: 4 }} spacing="md" component="dl" m={0}>
              <Fact label="Step" value={step ? (STEP_WORDS[step] ?? step) : "Starting"} />
              <Fact label="Done" value={bytes === null ? "—" : formatBytes(bytes)} />
              <Fact label="Rate" value={live?.bytesPerSecond == null ? "—" : `${formatBytes(live.bytesPerSecond)}/s`} />
              <Fact label="Time left" value={eta === undefined ? "unknown" : formatDuration(eta * 1000)} />
            </SimpleGrid>
            {live?.percent != null ? (
              <Progress value={live.percent} aria-label={`${Math.round(live.percent)} percent done`} size="lg" />
            ) : (
              <Progress value={100} striped animated aria-label="Working; the total is not known ahead" size="sm" />
            )}
            {run.startedAt && (
              <Text size="sm" c="dimmed">
                Running for {formatDuration(now.getTime() - Date.parse(run.startedAt))}
                {status !== "live" && " · live updates are reconnecting; the page refreshes every 10 s meanwhile"}
              </Text>
            )}
          </>
        )}
      </Stack>
    </RunSection>
  );
}

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <Text component="dt" size="xs" c="dimmed" tt="uppercase" fw={600}>
        {label}
      </Text>
      <Text component="dd" m={0} fw={500}>
        {value}
      </Text>
    </div>
  );
}
