import { Badge, Paper, ScrollArea, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { formatDateTime } from "../../format/time.js";
import { QueryView } from "../../ui/query-view.js";
import { runLogsQuery } from "./run-query.js";
import classes from "./run.module.css";

const LEVEL_COLOR = { debug: "gray", info: "blue", warn: "orange", error: "red" } as const;

/** The run's log, as its agent keeps it (asked live: an offline agent's logs cannot be read now). */
export function RunLogs({ runId }: { runId: string }) {
  const logs = useQuery(runLogsQuery(runId));
  return (
    <Paper withBorder p="md" mb="lg" component="section" aria-labelledby="run-logs-title">
      <Title order={2} size="h4" mb="sm" id="run-logs-title">
        Log
      </Title>
      <QueryView query={logs} what="the log from the agent" isEmpty={(lines) => lines.length === 0} empty={<Text c="dimmed">The agent has no log lines for this run.</Text>}>
        {(lines) => (
          <ScrollArea.Autosize mah={420} type="auto">
            <Table verticalSpacing={4} className={classes.logs}>
              <Table.Tbody>
                {lines.map((line, i) => (
                  <Table.Tr key={`${line.at}-${i}`}>
                    <Table.Td className={classes.logTime}>{formatDateTime(line.at, { seconds: true, withZone: false })}</Table.Td>
                    <Table.Td>
                      <Badge size="xs" variant="light" color={LEVEL_COLOR[line.level]}>
                        {line.level}
                      </Badge>
                    </Table.Td>
                    <Table.Td className={classes.wrap}>{line.message}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollArea.Autosize>
        )}
      </QueryView>
    </Paper>
  );
}
