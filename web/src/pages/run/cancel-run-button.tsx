import { Button, Group, Modal, Stack, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { ErrorState } from "../../ui/states.js";

/** Cancels a run that has not ended, after a confirmation. */
export function CancelRunButton({ runId, running }: { runId: string; running: boolean }) {
  const [opened, { open, close }] = useDisclosure(false);
  const queryClient = useQueryClient();
  const cancel = useMutation({
    mutationFn: () => unwrap(api.runs[":runId"].cancel.$post({ param: { runId }, json: {} })),
    onSuccess: async () => {
      close();
      await queryClient.invalidateQueries({ queryKey: queryKeys.run(runId) });
    },
  });
  return (
    <>
      <Button variant="default" color="red" onClick={open}>
        Cancel run
      </Button>
      <Modal opened={opened} onClose={close} title="Cancel this run?" centered>
        <Stack>
          <Text size="sm">
            {running
              ? "The agent stops the run and removes what it wrote so far; nothing is delivered."
              : "The run leaves the queue without running."}
          </Text>
          {cancel.isError && <ErrorState title="The run was not cancelled" error={cancel.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={close}>
              Keep it running
            </Button>
            <Button color="red" loading={cancel.isPending} onClick={() => cancel.mutate()}>
              Cancel run
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
