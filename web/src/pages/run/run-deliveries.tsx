import type { DeliveryState } from "@holdfast/shared";
import { RunSection } from "./run-section.js";
import { Badge, Box, Stack, Table, Text } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { formatBytes } from "../../format/bytes.js";
import { viewerTimeZone } from "../../format/time.js";
import { DateTime } from "../../ui/date-time.js";
import { QueryView } from "../../ui/query-view.js";
import { actionFor } from "./run-error.js";
import { type DeliveryView, runDeliveriesQuery } from "./run-query.js";
import classes from "./run.module.css";

const COLOR: Record<DeliveryState, string> = { pending: "gray", running: "blue", completed: "green", failed: "red" };

/** Where the backup went: each destination, its state, tries, the next try, and the last error. */
export function RunDeliveries({ runId }: { runId: string }) {
  const deliveries = useQuery(runDeliveriesQuery(runId));
  return (
    <RunSection title="Deliveries">
      <QueryView query={deliveries} what="deliveries" isEmpty={(items) => items.length === 0} empty={<Text c="dimmed">No delivery yet: they start once the backup is staged.</Text>}>
        {(items) => (
          // Scrolls sideways on a phone: focusable, so a keyboard can scroll it too.
          <Box className={classes.tableScroll} tabIndex={0} role="region" aria-label="Deliveries table">
            <Table verticalSpacing="xs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Destination</Table.Th>
                  <Table.Th scope="col">State</Table.Th>
                  <Table.Th scope="col">Tries</Table.Th>
                  <Table.Th scope="col">Next try ({viewerTimeZone()})</Table.Th>
                  <Table.Th scope="col">Stored</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((d) => (
                  <Table.Tr key={d.id}>
                    <Table.Td className={classes.wrap}>{d.destinationName ?? d.destinationId}</Table.Td>
                    <Table.Td>
                      {d.damage && !d.deletedAt ? (
                        // A scrub found the copy gone or changed: it no longer counts as a good backup.
                        <Badge color="red" variant="filled" miw="max-content">
                          {d.damage}
                        </Badge>
                      ) : (
                        <Badge color={d.deletedAt ? "gray" : COLOR[d.state]} variant={d.deletedAt || d.state === "pending" ? "light" : "filled"} miw="max-content">
                          {d.deletedAt ? "deleted" : d.state}
                        </Badge>
                      )}
                    </Table.Td>
                    <Table.Td>{d.attempts}</Table.Td>
                    <Table.Td>{d.nextAttemptAt ? <DateTime value={d.nextAttemptAt} withZone={false} relative /> : "—"}</Table.Td>
                    <Table.Td className={classes.storedCell}>
                      <Stored delivery={d} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Box>
        )}
      </QueryView>
    </RunSection>
  );
}

function Stored({ delivery: d }: { delivery: DeliveryView }) {
  return (
    <Stack gap={2}>
      {d.path && (
        <Text size="xs" ff="monospace">
          {d.path}
        </Text>
      )}
      {d.bytes !== null && <Text size="xs">{formatBytes(d.bytes)}</Text>}
      {d.deletedAt && (
        <Text size="xs" c="dimmed">
          Deleted <DateTime value={d.deletedAt} withZone={false} />
          {d.deletionReason ? `: ${d.deletionReason}` : ""}
        </Text>
      )}
      {d.lockedUntil && !d.deletedAt && (
        <Text size="xs">
          S3 Object Lock until <DateTime value={d.lockedUntil} withZone={false} />: nothing can delete it before
        </Text>
      )}
      {d.retentionNote && !d.deletedAt && (
        <Text size="xs" c="dimmed">
          Retention: {d.retentionNote}
        </Text>
      )}
      {d.damagedAt && !d.deletedAt && (
        <Text size="xs" c="red">
          Found {d.damage} by the scrub <DateTime value={d.damagedAt} withZone={false} />: not counted as a good backup until it is whole again
        </Text>
      )}
      {d.error && (
        <Text size="xs" c="red">
          {d.error.message} ({d.error.code}). {actionFor(d.error.code)}
        </Text>
      )}
    </Stack>
  );
}
