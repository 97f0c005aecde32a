import { ScrollArea, Table, Text } from "@mantine/core";
import { RunSection } from "./run-section.js";
import { useQuery } from "@tanstack/react-query";
import { formatDateTime } from "../../format/time.js";
import { QueryView } from "../../ui/query-view.js";
import { runLogsQuery } from "./run-query.js";
import classes from "./run.module.css";


/** The run's log, as its agent keeps it (asked live: an offline agent's logs cannot be read now). */
export function RunLogs({ runId }: { runId: string }) {
  const logs = useQuery(runLogsQuery(runId));
  return (
    <RunSection title="Log">
      <QueryView query={logs} what="the log from the agent" isEmpty={(lines) => lines.length === 0} empty={<Text c="dimmed">The agent has no log lines for this run.</Text>}>
        {(lines) => (
          <ScrollArea.Autosize mah={420} type="auto" viewportProps={{ tabIndex: 0, role: "region", "aria-label": "Log lines" }}>
            <Table verticalSpacing={4} className={classes.logs}>
              <Table.Tbody>
                {lines.map((line, i) => (
                  <Table.Tr key={`${line.at}-${i}`}>
                    <Table.Td className={classes.logTime}>{formatDateTime(line.at, { seconds: true, withZone: false })}</Table.Td>
                    <Table.Td className={classes.logLevel}>
                      <span className={classes[line.level]}>{line.level}</span>
                    </Table.Td>
                    <Table.Td className={classes.wrap}>{line.message}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollArea.Autosize>
        )}
      </QueryView>
    </RunSection>
  );
}
