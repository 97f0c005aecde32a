import { Badge, Box, Group, Paper, Stack, Table, Text, Tooltip } from "@mantine/core";
import { DateTime } from "../../ui/date-time.js";
import type { DatasourceFreshness } from "./dashboard-queries.js";
import classes from "./dashboard.module.css";
import { freshnessVerdict } from "./freshness-verdict.js";

function VerdictBadge({ item }: { item: DatasourceFreshness }) {
  const verdict = freshnessVerdict(item);
  return (
    <Tooltip label={verdict.hint} multiline maw={280} openDelay={200}>
      <Badge color={verdict.color} variant="filled" tabIndex={0} aria-description={verdict.hint} className={classes.badge}>
        {verdict.label}
      </Badge>
    </Tooltip>
  );
}

function DueAt({ item }: { item: DatasourceFreshness }) {
  return item.dueAt ? <DateTime value={item.dueAt} relative /> : <Text span inherit c="dimmed">no active schedule</Text>;
}

/** A phone's width: one card per datasource rather than a table to scroll sideways. */
function FreshnessCards({ items }: { items: DatasourceFreshness[] }) {
  return (
    <Stack component="ul" gap="xs" className={classes.list}>
      {items.map((item) => (
        <Paper component="li" withBorder p="sm" radius="md" key={item.datasourceId} aria-label={item.datasourceName}>
          <Group justify="space-between" wrap="nowrap" align="flex-start" gap="xs" mb={4}>
            <Text fw={600} size="sm" className={classes.name}>
              {item.datasourceName}
            </Text>
            <VerdictBadge item={item} />
          </Group>
          <Text size="sm" c={item.overdue ? "red" : undefined}>
            Last good backup: <DateTime value={item.finishedAt} relative />
          </Text>
          <Text size="sm" c={item.overdue ? "red" : "dimmed"}>
            Next due: <DueAt item={item} />
          </Text>
        </Paper>
      ))}
    </Stack>
  );
}

/** Each datasource's last good backup, its age, and whether that is older than its schedules imply. */
export function FreshnessTable({ items }: { items: DatasourceFreshness[] }) {
  return (
    <>
      <Box hiddenFrom="sm">
        <FreshnessCards items={items} />
      </Box>
      <Box visibleFrom="sm">
        <FreshnessRows items={items} />
      </Box>
    </>
  );
}

function FreshnessRows({ items }: { items: DatasourceFreshness[] }) {
  return (
    <Table.ScrollContainer minWidth={560} scrollAreaProps={{ viewportProps: { tabIndex: 0, role: "region", "aria-label": "Datasources, scrolls sideways" } }}>
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Datasource</Table.Th>
            <Table.Th scope="col">Last good backup</Table.Th>
            <Table.Th scope="col">Status</Table.Th>
            <Table.Th scope="col">Next backup due</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((item) => {
            return (
              <Table.Tr key={item.datasourceId}>
                <Table.Td className={classes.name}>
                  <Text fw={600} size="sm" inherit>
                    {item.datasourceName}
                  </Text>
                </Table.Td>
                <Table.Td>
                  <Text size="sm" c={item.overdue ? "red" : undefined} fw={item.overdue ? 600 : undefined}>
                    <DateTime value={item.finishedAt} relative />
                  </Text>
                </Table.Td>
                <Table.Td className={classes.nowrap}>
                  <VerdictBadge item={item} />
                </Table.Td>
                <Table.Td>
                  <Text size="sm" c={item.overdue ? "red" : undefined}>
                    <DueAt item={item} />
                  </Text>
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
