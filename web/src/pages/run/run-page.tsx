import { Anchor, Code, Stack, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { getRouteApi, Link } from "@tanstack/react-router";
import { ApiError } from "@holdfast/shared";
import { useLiveStatus } from "../../live/index.js";
import { PageHeader } from "../../ui/page-header.js";
import { QueryView } from "../../ui/query-view.js";
import { HeldBadge } from "../runs/held-badge.js";
import { RunStateBadge } from "../runs/run-state-badge.js";
import { runTitle } from "../runs/run-summary.js";
import { RunActions } from "./run-actions.js";
import { RunDeliveries } from "./run-deliveries.js";
import { RunDetails } from "./run-details.js";
import { RunDrill } from "./run-drill.js";
import { RunHold } from "./run-hold.js";
import { RunOutcome } from "./run-error.js";
import { RunLogs } from "./run-logs.js";
import { RunProgressPanel } from "./run-progress-panel.js";
import { isActive, runQuery } from "./run-query.js";
import classes from "./run.module.css";

const route = getRouteApi("/shell/runs/$runId");

/** One run: live progress while it runs, then its outcome, artifact, deliveries, drill and log. */
export function RunPage() {
  const { runId } = route.useParams();
  const live = useLiveStatus() === "live";
  const run = useQuery(runQuery(runId, live));
  if (run.error instanceof ApiError && run.error.code === "RUN_NOT_FOUND") return <RunNotFound runId={runId} />;
  return (
    <QueryView query={run} what="the run">
      {(run) => (
        <>
          <PageHeader
            title={`${runTitle(run)} run`}
            description={
              <>
                <RunStateBadge state={run.state} /> {run.hold && <HeldBadge reason={run.hold.reason} />}{" "}
                <Text span size="sm" ff="monospace" className={classes.wrap}>
                  {run.runId}
                </Text>
              </>
            }
            actions={<RunActions run={run} />}
          />
          {run.hold && <RunHold hold={run.hold} />}
          {isActive(run) && <RunProgressPanel run={run} />}
          <RunOutcome run={run} />
          <RunDetails run={run} />
          <RunDrill run={run} />
          {run.kind === "backup" && <RunDeliveries runId={run.runId} />}
          <RunLogs runId={run.runId} />
        </>
      )}
    </QueryView>
  );
}

function RunNotFound({ runId }: { runId: string }) {
  return (
    <Stack gap="sm">
      <PageHeader title="Run not found" />
      <Text>
        There is no run <Code>{runId}</Code>. The link may be mistyped, or the run belongs to another Holdfast installation.
      </Text>
      <Text>
        <Anchor component={Link} to="/runs">
          See all runs
        </Anchor>
      </Text>
    </Stack>
  );
}
