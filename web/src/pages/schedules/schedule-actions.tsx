import { Alert, Button, Code, Group, Modal, Stack, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconPlayerPause, IconPlayerPlay, IconRocket, IconTrash } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { Can } from "../../session/viewer.js";
import { ErrorState } from "../../ui/states.js";
import { BlackoutRefusal, blackoutRefusalOf } from "../../ui/blackout-refusal.js";
import type { ScheduleItem } from "./schedules-query.js";

/** Pause or resume: a paused schedule does not fire; resuming counts from now (missed firings are not made up). */
export function PauseResumeButton({ schedule }: { schedule: ScheduleItem }) {
  const queryClient = useQueryClient();
  const toggle = useMutation({
    mutationFn: () => unwrap(schedule.paused ? api.schedules[":id"].resume.$post({ param: { id: schedule.id } }) : api.schedules[":id"].pause.$post({ param: { id: schedule.id } })),
    onSuccess: (view) => {
      queryClient.setQueryData(queryKeys.schedule(schedule.id), view);
      return queryClient.invalidateQueries({ queryKey: queryKeys.schedules });
    },
  });
  return (
    <Can route={schedule.paused ? "POST /schedules/:id/resume" : "POST /schedules/:id/pause"}>
      <Stack gap={4}>
        <Button
          variant="default"
          leftSection={schedule.paused ? <IconPlayerPlay size={16} aria-hidden /> : <IconPlayerPause size={16} aria-hidden />}
          loading={toggle.isPending}
          onClick={() => toggle.mutate()}
        >
          {schedule.paused ? "Resume" : "Pause"}
        </Button>
        {toggle.isError && <ErrorState title={schedule.paused ? "Not resumed" : "Not paused"} error={toggle.error} />}
      </Stack>
    </Can>
  );
}

/** The run options a firing of the schedule asks for: its options, with the drill when it is on. */
function runOptionsOf(s: ScheduleItem) {
  if (!s.verify) return s.options ?? undefined;
  return { ...s.options, verify: true };
}

/**
 * A backup now, with the schedule's destinations and options, as a manual run of its datasource.
 * The server's refusal (BACKUP_ALREADY_RUNNING, an agent offline) is shown as it says it; inside a
 * blackout window of the schedule or its agent, it offers "Run anyway". The page says where the
 * started run is (`onStarted`).
 */
export function RunNowButton({ schedule, onStarted }: { schedule: ScheduleItem; onStarted: (runId: string) => void }) {
  const queryClient = useQueryClient();
  const run = useMutation({
    mutationFn: ({ force }: { force: boolean }) => {
      const options = runOptionsOf(schedule);
      const json = { destinationIds: schedule.destinationIds, scheduleId: schedule.id, ...(options ? { options } : {}), ...(force ? { force: true } : {}) };
      return unwrap(api.datasources[":id"].backups.$post({ param: { id: schedule.datasourceId }, json }));
    },
    onSuccess: ({ runId }) => {
      onStarted(runId);
      return queryClient.invalidateQueries({ queryKey: queryKeys.runs });
    },
  });
  return (
    <Can route="POST /datasources/:id/backups">
      <Button leftSection={<IconRocket size={16} aria-hidden />} loading={run.isPending} onClick={() => run.mutate({ force: false })}>
        Run now
      </Button>
      <Modal opened={run.isError} onClose={run.reset} title="The backup did not start" centered>
        {blackoutRefusalOf(run.error) ? <BlackoutRefusal error={run.error} pending={run.isPending} onForce={() => run.mutate({ force: true })} /> : <ErrorState title="Refused" error={run.error} />}
      </Modal>
    </Can>
  );
}

/** Where the run "Run now" started can be followed. */
export function RunStarted({ runId, onDismiss }: { runId: string; onDismiss: () => void }) {
  return (
    <Alert color="teal" variant="light" role="status" withCloseButton onClose={onDismiss} closeButtonLabel="Dismiss" mb="md">
      Backup started: run <Code>{runId}</Code>. Follow it on the Runs page.
    </Alert>
  );
}

/** Deletes the schedule after a confirmation that says what stays: its past runs and backups. */
export function DeleteScheduleButton({ schedule }: { schedule: ScheduleItem }) {
  const [opened, { open, close }] = useDisclosure(false);
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const remove = useMutation({
    mutationFn: () => unwrap(api.schedules[":id"].$delete({ param: { id: schedule.id } })),
    onSuccess: async () => {
      close();
      queryClient.removeQueries({ queryKey: queryKeys.schedule(schedule.id) });
      await queryClient.invalidateQueries({ queryKey: queryKeys.schedules });
      await navigate({ to: "/schedules" });
    },
  });
  const dismiss = () => {
    remove.reset();
    close();
  };
  return (
    <Can route="DELETE /schedules/:id">
      <Button variant="subtle" color="red" leftSection={<IconTrash size={16} aria-hidden />} onClick={open}>
        Delete
      </Button>
      <Modal opened={opened} onClose={dismiss} title={`Delete schedule ${schedule.name}?`} centered>
        <Stack>
          <Text size="sm">
            It stops firing at once, and firings waiting for their agent are dropped. Its past runs and delivered backups stay, and its retention policy no longer
            thins them: delete those from the Runs page if you no longer want them.
          </Text>
          {remove.isError && <ErrorState title="The schedule was not deleted" error={remove.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={dismiss}>
              Cancel
            </Button>
            <Button color="red" loading={remove.isPending} onClick={() => remove.mutate()}>
              Delete
            </Button>
          </Group>
        </Stack>
      </Modal>
    </Can>
  );
}
