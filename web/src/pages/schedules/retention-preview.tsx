import { Badge, Group, Stack, Table, Text, Title } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import type { InferResponseType } from "hono/client";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { viewerTimeZone } from "../../format/time.js";
import { DateTime } from "../../ui/date-time.js";
import { ErrorState, LoadingState } from "../../ui/states.js";
import type { RetentionCounts } from "./retention-fields.js";
import classes from "./schedules.module.css";

/** The draft as the preview's query: every count, so rules set to 0 are off rather than the stored ones. */
function draftQuery(counts: RetentionCounts, timezone: string) {
  return Object.fromEntries([...Object.entries(counts).map(([k, v]) => [k, String(v)]), ["timezone", timezone]]) as Record<keyof RetentionCounts | "timezone", string>;
}

type Preview = InferResponseType<(typeof api.schedules)[":id"]["retention"]["preview"]["$get"], 200>;
type KeptByDestination = NonNullable<Preview["destinations"][number]["items"][number]["keptBy"]>;

/**
 * A copy the policy would delete and its destination keeps: the lock's date in the viewer's zone (S3
 * Object Lock), or the credentials that cannot delete, then what the policy says of it.
 */
function KeptBy({ keptBy, policyReasons }: { keptBy: KeptByDestination; policyReasons: string[] }) {
  return (
    <>
      <Text span fw={600} size="sm">
        {keptBy.verdict === "locked" && keptBy.until ? (
          <>
            locked until <DateTime value={keptBy.until} withZone={false} />
          </>
        ) : (
          keptBy.note
        )}
      </Text>
      <Text span size="sm" c="dimmed">
        {" "}
        (the policy would delete it: {policyReasons.join("; ")})
      </Text>
    </>
  );
}

/**
 * What the policy as the form has it would keep and delete among this schedule's backups, and why,
 * computed by the control plane's retention planner (nothing is deleted here). Debounced.
 */
export function RetentionPreview({ scheduleId, counts, timezone }: { scheduleId: string; counts: RetentionCounts; timezone: string }) {
  const [draft] = useDebouncedValue(draftQuery(counts, timezone), 400);
  const preview = useQuery({
    queryKey: queryKeys.retentionPreview(scheduleId, draft),
    queryFn: () => unwrap(api.schedules[":id"].retention.preview.$get({ param: { id: scheduleId }, query: draft })),
    placeholderData: keepPreviousData,
    retry: false,
  });
  return (
    <Stack gap="xs" aria-live="polite">
      <Title order={3} size="h5">
        What this policy keeps and deletes now
      </Title>
      {preview.isPending && <LoadingState label="Planning retention" />}
      {preview.isError && <ErrorState title="No retention preview" error={preview.error} />}
      {preview.data && preview.data.destinations.length === 0 && (
        <Text size="sm" c="dimmed">
          This schedule has no delivered backups of its own yet: nothing would be deleted. Its policy applies to the backups it fires; those started with Run
          now are manual backups, kept for the Manual backups days.
        </Text>
      )}
      {preview.data?.destinations.map((d) => (
        <Stack key={d.destinationId} gap={4}>
          <Group gap="xs">
            <Text fw={600} size="sm" className={classes.wrap}>
              {d.destinationName ?? d.destinationId}
            </Text>
            <Badge color="teal" variant="filled">
              {d.kept} kept
            </Badge>
            <Badge color={d.deleted > 0 ? "red" : "gray"} variant="light">
              {d.deleted} to delete
            </Badge>
          </Group>
          <Table.ScrollContainer minWidth={420}>
            <Table verticalSpacing={4} fz="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Finished ({viewerTimeZone()})</Table.Th>
                  <Table.Th scope="col">Fate</Table.Th>
                  <Table.Th scope="col">Why</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {d.items.map((item) => (
                  <Table.Tr key={item.runId}>
                    <Table.Td>
                      <DateTime value={item.finishedAt} seconds withZone={false} />
                      {item.trigger === "manual" && (
                        <Text span size="xs" c="dimmed">
                          {" "}
                          manual
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td>
                      {/* Teal reaches AA contrast only filled (theme.ts). */}
                      <Badge size="sm" variant={item.keep ? "filled" : "light"} color={item.keep ? "teal" : "red"}>
                        {item.keep ? "keep" : "delete"}
                      </Badge>
                    </Table.Td>
                    <Table.Td className={classes.wrap}>
                      {item.keptBy ? <KeptBy keptBy={item.keptBy} policyReasons={item.reasons} /> : item.reasons.join("; ")}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Stack>
      ))}
    </Stack>
  );
}
