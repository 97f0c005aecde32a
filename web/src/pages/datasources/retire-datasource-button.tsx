import { Button, Group, List, Modal, Stack, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { ErrorState } from "../../ui/states.js";

const schedulesQuery = {
  queryKey: queryKeys.schedules,
  queryFn: async () => (await unwrap(api.schedules.$get())).items,
};

/**
 * Retires a datasource after a confirmation that says what follows: its agent forgets the config and
 * password, its running schedules are paused (named here), its backups stay. The server refuses
 * while a run of it is queued or running, or while its agent is offline; that refusal is shown in
 * the dialog.
 */
export function RetireDatasourceButton({ datasource, onRetired }: { datasource: { id: string; name: string }; onRetired: () => void }) {
  const [opened, { open, close }] = useDisclosure(false);
  const queryClient = useQueryClient();
  const schedules = useQuery({ ...schedulesQuery, enabled: opened });
  const active = (schedules.data ?? []).filter((s) => s.datasourceId === datasource.id && !s.paused);
  const retire = useMutation({
    mutationFn: () => unwrap(api.datasources[":id"].$delete({ param: { id: datasource.id } })),
    onSuccess: async () => {
      close();
      // Gone: its own query is dropped, not refetched into a 404 while the page leaves.
      queryClient.removeQueries({ queryKey: queryKeys.datasource(datasource.id) });
      await queryClient.invalidateQueries({ queryKey: queryKeys.datasources, exact: true });
      await queryClient.invalidateQueries({ queryKey: queryKeys.schedules });
      onRetired();
    },
  });
  const dismiss = () => {
    retire.reset();
    close();
  };
  return (
    <>
      <Button variant="default" onClick={open}>
        Retire
      </Button>
      <Modal opened={opened} onClose={dismiss} title={`Retire datasource ${datasource.name}?`} centered>
        <Stack>
          <List size="sm" spacing={6}>
            <List.Item>Its agent deletes the connection settings and the password it keeps; the agent must be online.</List.Item>
            <List.Item>
              {active.length === 0
                ? "No running schedule backs it up."
                : `Its ${active.length} running schedule${active.length === 1 ? " is" : "s are"} paused: ${active.map((s) => s.name ?? s.id).join(", ")}.`}
            </List.Item>
            <List.Item>Its backups stay: listed, downloadable and restorable into another datasource. Retention leaves them alone.</List.Item>
            <List.Item>It leaves this list and takes no new backups or restores; its name is free again.</List.Item>
          </List>
          <Text size="sm">It is refused while one of its runs is queued or running. This cannot be undone: to back it up again, add it again.</Text>
          {retire.isError && <ErrorState title="The datasource was not retired" error={retire.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={dismiss}>
              Cancel
            </Button>
            <Button color="red" loading={retire.isPending} onClick={() => retire.mutate()}>
              Retire
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
