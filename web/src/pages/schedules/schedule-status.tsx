import { Badge } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { DateTime } from "../../ui/date-time.js";
import { lastRunQuery } from "./schedules-query.js";

export function PausedBadge({ paused }: { paused: boolean }) {
  return (
    <Badge variant={paused ? "light" : "filled"} color={paused ? "gray" : "teal"} style={{ flexShrink: 0 }}>
      {paused ? "paused" : "active"}
    </Badge>
  );
}

// Teal reaches AA contrast only filled (theme.ts): the one good state is filled, the others light.
const STATE_COLORS: Record<string, string> = { completed: "teal", failed: "red", cancelled: "gray", running: "blue", queued: "blue", pending: "yellow", missed: "orange" };

/** The newest run the schedule fired: its state and when it was created. */
export function LastRun({ scheduleId }: { scheduleId: string }) {
  const run = useQuery(lastRunQuery(scheduleId));
  if (run.isPending) return null;
  if (run.isError) return <span>could not load</span>;
  if (!run.data) return <DateTime value={null} />;
  return (
    <span>
      <Badge variant={run.data.state === "completed" ? "filled" : "light"} size="sm" color={STATE_COLORS[run.data.state] ?? "gray"} mr={6}>
        {run.data.state}
      </Badge>
      <DateTime value={run.data.finishedAt ?? run.data.queuedAt} relative withZone={false} />
    </span>
  );
}
