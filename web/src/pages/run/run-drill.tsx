import { Alert, Badge, Table, Text } from "@mantine/core";
import { RunSection } from "./run-section.js";
import { formatDuration } from "../../format/time.js";
import { actionFor } from "./run-error.js";
import type { RunView } from "./run-query.js";

/** The restore drill's verdict: restored into a scratch target and compared, table by table. */
export function RunDrill({ run }: { run: RunView }) {
  const v = run.verification;
  if (!v) return null;
  return (
    <RunSection
      title="Restore drill"
      aside={
        <Badge color={v.verified ? "green" : "red"} variant="filled">
          {v.verified ? "verified" : "not verified"}
        </Badge>
      }
    >
      <Text size="sm">
        {v.method}: {v.checked} compared in {formatDuration(v.durationMs)}.
      </Text>
      {v.error && (
        <Alert color="red" variant="light" mt="sm" title={`The drill could not finish (${v.error.code})`}>
          <Text size="sm">{v.error.message}</Text>
          <Text size="sm">{actionFor(v.error.code)}</Text>
        </Alert>
      )}
      {v.mismatches.length > 0 && (
        <Table mt="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col">Differs</Table.Th>
              <Table.Th scope="col">Source</Table.Th>
              <Table.Th scope="col">Restored</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {v.mismatches.map((m) => (
              <Table.Tr key={m.item}>
                <Table.Td>{m.item}</Table.Td>
                <Table.Td>{m.expected ?? "missing"}</Table.Td>
                <Table.Td>{m.found ?? "missing"}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </RunSection>
  );
}
