import { Box, Button } from "@mantine/core";
import { IconCalendarTime, IconPlus } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { useMemo } from "react";
import { Can } from "../../session/viewer.js";
import { PageHeader } from "../../ui/page-header.js";
import { QueryView } from "../../ui/query-view.js";
import { EmptyState } from "../../ui/states.js";
import { datasourcesQuery, schedulesQuery } from "./schedules-query.js";
import { ScheduleCards, SchedulesTable } from "./schedules-table.js";

function NewScheduleButton() {
  return (
    <Can route="POST /schedules">
      <Button component={Link} to="/schedules/new" leftSection={<IconPlus size={16} aria-hidden />}>
        New schedule
      </Button>
    </Can>
  );
}

/** The schedules: which datasource each backs up, when, in which zone, when next, and how the last run went. */
export function SchedulesPage() {
  const schedules = useQuery(schedulesQuery);
  const datasources = useQuery(datasourcesQuery);
  const byId = useMemo(() => new Map((datasources.data ?? []).map((d) => [d.id, d])), [datasources.data]);
  return (
    <>
      <PageHeader title="Schedules" description="When each datasource is backed up, where to, and how long its backups are kept." actions={<NewScheduleButton />} />
      <QueryView
        query={schedules}
        what="schedules"
        isEmpty={(items) => items.length === 0}
        empty={
          <EmptyState title="No schedules yet" icon={<IconCalendarTime size={32} stroke={1.4} aria-hidden />}>
            <Box c="dimmed" fz="sm">
              A schedule backs up one datasource on a cron, in the time zone you choose, to one or more destinations.
            </Box>
            <NewScheduleButton />
          </EmptyState>
        }
      >
        {(items) => (
          <>
            <Box visibleFrom="md">
              <SchedulesTable items={items} datasources={byId} />
            </Box>
            <Box hiddenFrom="md">
              <ScheduleCards items={items} datasources={byId} />
            </Box>
          </>
        )}
      </QueryView>
    </>
  );
}
