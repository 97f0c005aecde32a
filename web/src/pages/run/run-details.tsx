import { Anchor, Code } from "@mantine/core";
import { RunSection } from "./run-section.js";
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { formatBytes } from "../../format/bytes.js";
import { DateTime } from "../../ui/date-time.js";
import { agentsQuery } from "../agents/agents-query.js";
import { runDuration } from "../runs/run-summary.js";
import { datasourceChoicesQuery } from "../runs/runs-query.js";
import { Facts } from "./facts.js";
import type { RunView } from "./run-query.js";
import classes from "./run.module.css";

/** What the run is and what it produced: who ran it, when, how long, and its artifact. */
export function RunDetails({ run }: { run: RunView }) {
  const datasources = useQuery(datasourceChoicesQuery);
  const agents = useQuery(agentsQuery);
  const datasource = datasources.data?.find((d) => d.id === run.datasourceId);
  const agent = agents.data?.find((a) => a.id === run.agentId);
  const a = run.artifact;
  const items: [string, React.ReactNode][] = [
    [run.kind === "restore" ? "Target datasource" : "Datasource", datasource ? `${datasource.name} (${datasource.engine})` : run.datasourceId],
    ["Agent", agent?.name ?? run.agentId],
    ["Trigger", run.trigger === "schedule" && run.scheduleId ? `schedule ${run.scheduleId}` : run.trigger],
  ];
  if (run.sourceRunId)
    items.push([
      "Restored from",
      <Anchor component={Link} to={`/runs/${encodeURIComponent(run.sourceRunId)}`} ff="monospace" size="sm" key="src">
        {run.sourceRunId}
      </Anchor>,
    ]);
  if (run.fireTime) items.push(["Fired for", <DateTime value={run.fireTime} key="f" />]);
  // A time not reached yet reads "not yet" (DateTime's "never" would say it cannot happen).
  const when = (value: string | null, key: string) => (value === null ? "not yet" : <DateTime value={value} key={key} />);
  items.push(["Queued", when(run.queuedAt, "q")], ["Started", when(run.startedAt, "s")], ["Finished", when(run.finishedAt, "e")], ["Duration", runDuration(run)]);
  if (run.attempt > 1) items.push(["Attempt", `${run.attempt} (retry of ${run.retryOf ?? "an earlier run"})`]);
  if (run.kind === "backup" && run.state === "completed") {
    items.push(["Size", `${formatBytes(run.sizeBytes)}${run.rawSizeBytes !== null ? ` (${formatBytes(run.rawSizeBytes)} before compression)` : ""}`]);
    if (a) items.push(["Format", [a.format, a.codec === "none" ? "uncompressed" : `${a.codec}${a.level ? ` level ${a.level}` : ""}`].filter(Boolean).join(", ")]);
    if (a?.serverVersion) items.push(["Server", a.serverVersion]);
    if (a?.databases) items.push([`Databases (${a.databases.length})`, a.databases.join(", ")]);
    items.push(["Encryption", a?.encrypted ? <span key="enc">age, for <Code className={classes.wrap}>{a.recipient ?? "a recipient"}</Code></span> : "none"]);
    items.push(["SHA-256", <Code key="sha" className={classes.wrap} data-testid="run-sha256">{run.sha256 ?? "—"}</Code>]);
  }
  return (
    <RunSection title="Details">
      <Facts items={items} />
    </RunSection>
  );
}
