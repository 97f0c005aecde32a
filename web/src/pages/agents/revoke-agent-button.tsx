import { Button, Group, Modal, Stack, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.js";
import { ErrorState } from "../../ui/states.js";
import { queryKeys } from "../../api/query-keys.js";
import { AGENTS_QUERY_KEY, type AgentItem } from "./agents-query.js";

/** Revokes an agent after a confirmation that says what it does and that it cannot be undone. */
export function RevokeAgentButton({ agent }: { agent: { id: string; name: string } }) {
  const [opened, { open, close }] = useDisclosure(false);
  const queryClient = useQueryClient();
  const revoke = useMutation({
    // What is asked of the agent itself (its page's health, queue) stops first: once revoked, the
    // control plane refuses to relay to it.
    onMutate: () => queryClient.cancelQueries({ queryKey: queryKeys.agent(agent.id) }),
    mutationFn: () => unwrap(api.agents[":id"].revoke.$post({ param: { id: agent.id } })),
    onSuccess: async () => {
      close();
      queryClient.setQueryData<AgentItem[]>(AGENTS_QUERY_KEY, (items) => items?.map((a) => (a.id === agent.id ? { ...a, status: "revoked" as const } : a)));
      queryClient.removeQueries({ queryKey: queryKeys.agent(agent.id) });
      await queryClient.invalidateQueries({ queryKey: AGENTS_QUERY_KEY });
    },
  });
  const dismiss = () => {
    revoke.reset();
    close();
  };
  return (
    <>
      <Button variant="subtle" color="red" size="compact-sm" onClick={open} aria-label={`Revoke ${agent.name}`}>
        Revoke
      </Button>
      <Modal opened={opened} onClose={dismiss} title={`Revoke agent ${agent.name}?`} centered>
        <Stack>
          <Text size="sm">
            Its key is refused from now on and its connection is closed at once. Its schedules stop running; backups already delivered stay where they are.
            To use the host again, enroll it with a new token. This cannot be undone.
          </Text>
          {revoke.isError && <ErrorState title="The agent was not revoked" error={revoke.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={dismiss}>
              Cancel
            </Button>
            <Button color="red" loading={revoke.isPending} onClick={() => revoke.mutate()}>
              Revoke
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
