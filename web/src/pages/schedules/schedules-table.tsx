import { Anchor, Stack, Table, Text } from "@mantine/core";
import { Link } from "@tanstack/react-router";
import { describeCron } from "../../format/cron.js";
import { viewerTimeZone } from "../../format/time.js";
import { DateTime } from "../../ui/date-time.js";
import { LastRun, PausedBadge } from "./schedule-status.js";
import type { DatasourceItem, ScheduleItem } from "./schedules-query.js";
import classes from "./schedules.module.css";

export interface ScheduleRowProps {
  items: ScheduleItem[];
  datasources: Map<string, DatasourceItem>;
}

/** The cron in words, with the cron itself for those who read it. */
export function CronWords({ cron, timezone }: { cron: string; timezone: string }) {
  return (
    <Stack gap={0}>
      <Text size="sm">{describeCron(cron) ?? cron}</Text>
      <Text size="xs" c="dimmed" className={classes.wrap}>
        <code>{cron}</code> · {timezone}
      </Text>
    </Stack>
  );
}

export function ScheduleName({ schedule }: { schedule: Pick<ScheduleItem, "id" | "name"> }) {
  return (
    <Anchor component={Link} to={`/schedules/${schedule.id}`} fw={600} className={classes.wrap}>
      {schedule.name}
    </Anchor>
  );
}

/** The schedules as a table, for windows wide enough for one. */
export function SchedulesTable({ items, datasources }: ScheduleRowProps) {
  return (
    <Table verticalSpacing="sm" highlightOnHover>
      <Table.Caption>
        {items.length} schedule{items.length === 1 ? "" : "s"}; times in {viewerTimeZone()}
      </Table.Caption>
      <Table.Thead>
        <Table.Tr>
          <Table.Th scope="col">Schedule</Table.Th>
          <Table.Th scope="col">Datasource</Table.Th>
          <Table.Th scope="col">When</Table.Th>
          <Table.Th scope="col">Next firing ({viewerTimeZone()})</Table.Th>
          <Table.Th scope="col">Status</Table.Th>
          <Table.Th scope="col">Last run</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {items.map((s) => (
          <Table.Tr key={s.id}>
            <Table.Td className={classes.nameCell}>
              <ScheduleName schedule={s} />
            </Table.Td>
            <Table.Td className={classes.wrap}>{datasources.get(s.datasourceId)?.name ?? <Text span inherit c="dimmed">{s.datasourceId}</Text>}</Table.Td>
            <Table.Td>
              <CronWords cron={s.cron} timezone={s.timezone} />
            </Table.Td>
            <Table.Td>{s.nextFireAt ? <DateTime value={s.nextFireAt} relative withZone={false} /> : <Text span inherit c="dimmed">none while paused</Text>}</Table.Td>
            <Table.Td>
              <PausedBadge paused={s.paused} />
            </Table.Td>
            <Table.Td>
              <LastRun scheduleId={s.id} />
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

/** The schedules as cards, for a narrow window. */
export function ScheduleCards({ items, datasources }: ScheduleRowProps) {
  return (
    <ul className={classes.cardList} aria-label="Schedules">
      {items.map((s) => (
        <li key={s.id} className={classes.card}>
          <Stack gap={6}>
            <div className={classes.cardHead}>
              <ScheduleName schedule={s} />
              <PausedBadge paused={s.paused} />
            </div>
            <Text size="sm" className={classes.wrap}>
              {datasources.get(s.datasourceId)?.name ?? s.datasourceId}
            </Text>
            <CronWords cron={s.cron} timezone={s.timezone} />
            <Text size="sm">
              Next: {s.nextFireAt ? <DateTime value={s.nextFireAt} relative /> : <Text span inherit c="dimmed">none while paused</Text>}
            </Text>
            <Text size="sm" component="div">
              Last run: <LastRun scheduleId={s.id} />
            </Text>
          </Stack>
        </li>
      ))}
    </ul>
  );
}
