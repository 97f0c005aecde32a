import { Alert, Button, Checkbox, Group, Modal, Stack, Text } from "@mantine/core";
import { IconAlertTriangle } from "@tabler/icons-react";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ApiError } from "@holdfast/shared";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { ErrorState } from "../../ui/states.js";

/**
 * Deletes a backup's copies after a confirmation. The newest good (or verified) backup of its
 * datasource is refused (NEWEST_GOOD_BACKUP) until the viewer explicitly ticks "delete it anyway".
 */
export function DeleteBackupButton({ runId }: { runId: string }) {
  const [opened, { open, close }] = useDisclosure(false);
  const [force, setForce] = useState(false);
  const queryClient = useQueryClient();
  const remove = useMutation({
    mutationFn: (force: boolean) => unwrap(api.runs[":runId"].artifact.$delete({ param: { runId }, query: { force: force ? "true" : "false" } })),
    onSuccess: async () => {
      dismiss();
      await queryClient.invalidateQueries({ queryKey: queryKeys.run(runId) });
    },
  });
  const dismiss = () => {
    remove.reset();
    setForce(false);
    close();
  };
  const newest = remove.error instanceof ApiError && remove.error.code === "NEWEST_GOOD_BACKUP";
  return (
    <>
      <Button variant="default" color="red" onClick={open}>
        Delete backup
      </Button>
      <Modal opened={opened} onClose={dismiss} title="Delete this backup?" centered>
        <Stack>
          <Text size="sm">Its copies are deleted from every destination and from the control plane. The run stays in the history. This cannot be undone.</Text>
          {remove.isError && !newest && <ErrorState title="The backup was not deleted" error={remove.error} />}
          {newest && (
            <Alert color="red" variant="light" title="This is the newest good backup of its datasource" icon={<IconAlertTriangle aria-hidden />}>
              Retention never deletes it: it may be the only way back. Delete it only if it is broken or must not be kept.
            </Alert>
          )}
          {newest && <Checkbox label="Delete it anyway: I know it is the newest good backup of its datasource" checked={force} onChange={(e) => setForce(e.currentTarget.checked)} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={dismiss}>
              Keep it
            </Button>
            <Button color="red" loading={remove.isPending} disabled={newest && !force} onClick={() => remove.mutate(newest && force)}>
              Delete backup
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
