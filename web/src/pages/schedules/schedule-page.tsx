import { Anchor, Group, Stack, Text } from "@mantine/core";
import { useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams } from "@tanstack/react-router";
import { useState } from "react";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { useCan } from "../../session/viewer.js";
import { PageHeader } from "../../ui/page-header.js";
import { ErrorState, LoadingState } from "../../ui/states.js";
import { DeleteScheduleButton, PauseResumeButton, RunNowButton, RunStarted } from "./schedule-actions.js";
import { createBodyOf, newScheduleValues, updateBodyOf, valuesOf } from "./schedule-form-values.js";
import { ScheduleForm } from "./schedule-form.js";
import { PausedBadge } from "./schedule-status.js";
import { datasourcesQuery, destinationsQuery, scheduleQuery } from "./schedules-query.js";

const BackLink = () => (
  <Anchor component={Link} to="/schedules" size="sm">
    ← All schedules
  </Anchor>
);

/** `/schedules/new` creates one; `/schedules/<id>` shows, edits, pauses, runs and deletes one. */
export function SchedulePage() {
  const { id } = useParams({ strict: false }) as { id?: string };
  return id === undefined || id === "new" ? <NewSchedule /> : <EditSchedule id={id} />;
}

function useChoices() {
  const [datasources, destinations] = useQueries({ queries: [datasourcesQuery, destinationsQuery] });
  const error = datasources.error ?? destinations.error;
  return { datasources: datasources.data, destinations: destinations.data, error, retry: () => void Promise.all([datasources.refetch(), destinations.refetch()]) };
}

function NewSchedule() {
  const choices = useChoices();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const allowed = useCan("POST /schedules");
  const header = <PageHeader title="New schedule" description={<BackLink />} />;
  if (!allowed) return <>{header}<Text>Creating schedules needs the operator role.</Text></>;
  if (choices.error) return <>{header}<ErrorState title="Could not load the datasources and destinations" error={choices.error} onRetry={choices.retry} /></>;
  if (!choices.datasources || !choices.destinations) return <>{header}<LoadingState label="Loading the datasources and destinations" /></>;
  return (
    <>
      {header}
      {choices.datasources.length === 0 && <Text mb="md">There is no datasource to back up yet: add one on the Datasources page first.</Text>}
      <ScheduleForm
        initial={newScheduleValues(choices.destinations)}
        datasources={choices.datasources}
        destinations={choices.destinations}
        editable
        submitLabel="Create schedule"
        onSubmit={async (values) => {
          const created = await unwrap(api.schedules.$post({ json: createBodyOf(values) }));
          queryClient.setQueryData(queryKeys.schedule(created.id), created);
          await queryClient.invalidateQueries({ queryKey: queryKeys.schedules, exact: true });
          await navigate({ to: "/schedules/$id", params: { id: created.id }, replace: true });
        }}
      />
    </>
  );
}

function EditSchedule({ id }: { id: string }) {
  const schedule = useQuery(scheduleQuery(id));
  const choices = useChoices();
  const queryClient = useQueryClient();
  const editable = useCan("PATCH /schedules/:id");
  const [startedRun, setStartedRun] = useState<string | null>(null);
  if (schedule.isPending) return <LoadingState label="Loading the schedule" />;
  if (schedule.isError)
    return (
      <>
        <PageHeader title="Schedule" description={<BackLink />} />
        <ErrorState title="Could not load this schedule" error={schedule.error} onRetry={() => void schedule.refetch()} />
      </>
    );
  const s = schedule.data;
  const datasource = choices.datasources?.find((d) => d.id === s.datasourceId);
  return (
    <>
      <PageHeader
        title={s.name}
        description={
          <Stack gap={4} component="span">
            <BackLink />
            <Group gap="xs" component="span">
              <PausedBadge paused={s.paused} />
              <Text span size="sm">
                Backs up {datasource ? `${datasource.name} (${datasource.engine})` : s.datasourceId}
              </Text>
            </Group>
          </Stack>
        }
        actions={
          <>
            <RunNowButton schedule={s} onStarted={setStartedRun} />
            <PauseResumeButton schedule={s} />
            <DeleteScheduleButton schedule={s} />
          </>
        }
      />
      {!editable && (
        <Text size="sm" c="dimmed" mb="md">
          You can read this schedule; changing, running or pausing it needs the operator role.
        </Text>
      )}
      {startedRun && <RunStarted runId={startedRun} onDismiss={() => setStartedRun(null)} />}
      {choices.error && <ErrorState title="Could not load the datasources and destinations" error={choices.error} onRetry={choices.retry} />}
      {choices.datasources && choices.destinations ? (
        <ScheduleForm
          // A new version from elsewhere (another tab, pause) restarts the form from it.
          key={s.updatedAt}
          initial={valuesOf(s)}
          scheduleId={s.id}
          datasources={choices.datasources}
          destinations={choices.destinations}
          editable={editable}
          submitLabel="Save changes"
          onSubmit={async (values) => {
            const saved = await unwrap(api.schedules[":id"].$patch({ param: { id: s.id }, json: updateBodyOf(values) }));
            queryClient.setQueryData(queryKeys.schedule(s.id), saved);
            await queryClient.invalidateQueries({ queryKey: queryKeys.schedules, exact: true });
          }}
        />
      ) : (
        !choices.error && <LoadingState label="Loading the datasources and destinations" />
      )}
    </>
  );
}
