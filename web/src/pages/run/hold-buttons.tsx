import { HoldRunBody } from "@holdfast/shared";
import { ApiError } from "@holdfast/shared";
import { Button, Group, Modal, Stack, Text, TextInput } from "@mantine/core";
import { schemaResolver, useForm } from "@mantine/form";
import { useDisclosure } from "@mantine/hooks";
import { IconLock, IconLockOpen } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { z } from "zod";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { fieldErrorsFrom } from "../../ui/form-errors.js";
import { FormActions } from "../../ui/form-actions.js";
import { ErrorState } from "../../ui/states.js";
import type { RunView } from "./run-query.js";

type HoldFields = z.input<typeof HoldRunBody>;

/** The answer is the run as GET shows it: the page takes it at once, and every run list refetches (their held badge). */
function useRunChanged(runId: string) {
  const queryClient = useQueryClient();
  return async (run: RunView) => {
    queryClient.setQueryData(queryKeys.run(runId), run);
    await queryClient.invalidateQueries({ queryKey: queryKeys.runs });
  };
}

/**
 * "Hold": a legal hold on a completed backup, with why. Retention and deletion leave its copies
 * until an admin releases it. On a held run, it changes the reason (holding again replaces it).
 */
export function HoldBackupButton({ run }: { run: RunView }) {
  const [opened, { open, close }] = useDisclosure(false);
  const changed = useRunChanged(run.runId);
  const form = useForm<HoldFields>({
    mode: "uncontrolled",
    initialValues: { reason: run.hold?.reason ?? "" },
    validate: schemaResolver(HoldRunBody, { sync: true }),
    validateInputOnBlur: true,
  });
  const hold = useMutation({
    mutationFn: (values: HoldFields) => unwrap(api.runs[":runId"].hold.$post({ param: { runId: run.runId }, json: HoldRunBody.parse(values) })),
    onSuccess: async (answer) => {
      dismiss();
      await changed(answer);
    },
    onError: (error) => {
      if (error instanceof ApiError) form.setErrors(fieldErrorsFrom(error, ["reason"]));
    },
  });
  const dismiss = () => {
    hold.reset();
    form.reset();
    close();
  };
  const editing = run.hold !== null;
  return (
    <>
      <Button
        variant="default"
        leftSection={<IconLock size={16} aria-hidden />}
        onClick={() => {
          // The reason as it is now (the run may have been held since this page was drawn).
          form.setInitialValues({ reason: run.hold?.reason ?? "" });
          form.reset();
          open();
        }}
      >
        {editing ? "Change hold reason" : "Hold"}
      </Button>
      <Modal opened={opened} onClose={dismiss} title={editing ? "Change the hold's reason" : "Put this backup under a legal hold"} centered>
        <form onSubmit={form.onSubmit((values) => hold.mutate(values))} noValidate>
          <Stack>
            <Text size="sm">
              While it is held, retention keeps every copy of this backup and nobody can delete it, whatever the schedule's policy says. An admin releases it when it may go. Both are recorded in
              the audit log.
            </Text>
            {hold.isError && <ErrorState title="The backup was not held" error={hold.error} />}
            <TextInput label="Reason" description="Why it is kept: a legal matter, a ticket. Shown on the run and in the retention preview." required data-autofocus key={form.key("reason")} {...form.getInputProps("reason")} />
            <FormActions onCancel={dismiss} submitLabel={editing ? "Change reason" : "Hold backup"} pending={hold.isPending} />
          </Stack>
        </form>
      </Modal>
    </>
  );
}

/** "Release hold", after a confirmation that says what follows: the next retention pass may delete it. */
export function ReleaseHoldButton({ runId }: { runId: string }) {
  const [opened, { open, close }] = useDisclosure(false);
  const changed = useRunChanged(runId);
  const release = useMutation({
    mutationFn: () => unwrap(api.runs[":runId"].hold.$delete({ param: { runId } })),
    onSuccess: async (answer) => {
      close();
      await changed(answer);
    },
  });
  const dismiss = () => {
    release.reset();
    close();
  };
  return (
    <>
      <Button variant="default" color="red" leftSection={<IconLockOpen size={16} aria-hidden />} onClick={open}>
        Release hold
      </Button>
      <Modal opened={opened} onClose={dismiss} title="Release the legal hold?" centered>
        <Stack>
          <Text size="sm">The backup is then treated like any other: the next retention pass deletes it if the schedule's policy no longer keeps it, and it can be deleted by hand.</Text>
          {release.isError && <ErrorState title="The hold was not released" error={release.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={dismiss}>
              Keep it held
            </Button>
            <Button color="red" loading={release.isPending} onClick={() => release.mutate()}>
              Release hold
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
