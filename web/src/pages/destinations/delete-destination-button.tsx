import { Button, Group, List, Modal, Stack, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { ErrorState } from "../../ui/states.js";

/** Deletes (retires) a destination after a confirmation naming what follows, the schedules it breaks first. */
export function DeleteDestinationButton({ destination }: { destination: { id: string; name: string } }) {
  const [opened, { open, close }] = useDisclosure(false);
  const queryClient = useQueryClient();
  const schedules = useQuery({ queryKey: queryKeys.schedules, queryFn: async () => (await unwrap(api.schedules.$get())).items, enabled: opened });
  const using = (schedules.data ?? []).filter((s) => s.destinationIds.includes(destination.id));
  const remove = useMutation({
    mutationFn: () => unwrap(api.destinations[":id"].$delete({ param: { id: destination.id } })),
    onSuccess: async () => {
      close();
      await queryClient.invalidateQueries({ queryKey: queryKeys.destinations });
      await queryClient.invalidateQueries({ queryKey: queryKeys.stats });
    },
  });
  const dismiss = () => {
    remove.reset();
    close();
  };
  return (
    <>
      <Button variant="subtle" color="red" size="compact-sm" onClick={open} aria-label={`Delete ${destination.name}`}>
        Delete
      </Button>
      <Modal opened={opened} onClose={dismiss} title={`Delete destination ${destination.name}?`} centered>
        <Stack>
          <List size="sm" spacing={6}>
            <List.Item>It takes no new backups, and its stored credentials are wiped.</List.Item>
            <List.Item>The backups already written there are not deleted: they stay where they are.</List.Item>
            <List.Item>
              {using.length === 0
                ? "No schedule delivers to it."
                : `Backups of ${using.length === 1 ? "this schedule" : `these ${using.length} schedules`} are refused until you give ${using.length === 1 ? "it" : "them"} another destination: ${using.map((s) => s.name ?? s.id).join(", ")}.`}
            </List.Item>
          </List>
          <Text size="sm">This cannot be undone.</Text>
          {remove.isError && <ErrorState title="The destination was not deleted" error={remove.error} />}
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
    </>
  );
}
