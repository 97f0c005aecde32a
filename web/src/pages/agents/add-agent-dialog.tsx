import type { RecordedLiveEvent } from "@holdfast/shared";
import { Alert, Button, Group, Loader, Modal, Stack, Text, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconCircleCheck, IconPlus } from "@tabler/icons-react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { useCallback, useRef, useState } from "react";
import { queryKeys } from "../../api/query-keys.js";
import { useLiveEvents } from "../../live/index.js";
import { ErrorState } from "../../ui/states.js";
import { EnrollCommands } from "../enrollment-tokens/enroll-commands.js";
import { issueEnrollmentToken } from "../enrollment-tokens/issue-enrollment-token.js";
import { agentsQuery } from "./agents-query.js";
import { FormActions } from "../../ui/form-actions.js";

/**
 * "Add agent": makes an enrollment token, shows the commands to run on the host (the token in them,
 * shown once), then waits for an agent this dialog has not seen before to come online. The live
 * stream tells it at once; the agents list is also asked every 10 s while the dialog is open.
 */
export function AddAgentButton() {
  const [opened, { open, close }] = useDisclosure(false);
  const [name, setName] = useState("");
  const queryClient = useQueryClient();
  const issue = useMutation({ mutationFn: () => issueEnrollmentToken(name.trim() ? { name: name.trim() } : {}) });
  // The agents there when the token was made: the one that comes online after is the new one.
  const known = useRef<Set<string> | null>(null);
  const [arrivedLive, setArrivedLive] = useState<{ id: string; name: string } | null>(null);
  const agents = useQuery({ ...agentsQuery, refetchInterval: opened ? 10_000 : agentsQuery.refetchInterval });
  const waiting = opened && issue.isSuccess;
  useLiveEvents(
    useCallback(
      (event: RecordedLiveEvent) => {
        if (event.type !== "agent.status" || !waiting) return;
        void queryClient.invalidateQueries({ queryKey: queryKeys.agents });
        if (event.status === "online" && known.current && !known.current.has(event.agentId)) setArrivedLive({ id: event.agentId, name: event.name });
      },
      [waiting, queryClient],
    ),
  );
  const polled = waiting ? agents.data?.find((a) => a.status === "online" && known.current !== null && !known.current.has(a.id)) : undefined;
  const arrived = arrivedLive ?? (polled ? { id: polled.id, name: polled.name } : null);

  const start = () => {
    known.current = new Set((agents.data ?? []).map((a) => a.id));
    issue.mutate();
  };
  const dismiss = () => {
    issue.reset();
    setName("");
    setArrivedLive(null);
    known.current = null;
    close();
  };
  return (
    <>
      <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={open}>
        Add agent
      </Button>
      <Modal opened={opened} onClose={dismiss} title="Add agent" centered size="lg">
        {issue.data ? (
          <Stack>
            <Text size="sm">Run these on the database host, as the user the agent will run as:</Text>
            <EnrollCommands issued={issue.data} />
            {arrived ? (
              <Alert color="blue" variant="light" icon={<IconCircleCheck aria-hidden />} title={`${arrived.name} is online`} role="status">
                <Link to="/agents/$agentId" params={{ agentId: arrived.id }} onClick={dismiss}>
                  Open its page
                </Link>
              </Alert>
            ) : (
              <Group gap="sm" role="status" aria-live="polite">
                <Loader size="sm" aria-hidden />
                <Text size="sm">Waiting for the new agent to come online…</Text>
              </Group>
            )}
            <Group justify="flex-end">
              <Button variant={arrived ? "filled" : "default"} onClick={dismiss}>
                {arrived ? "Done" : "Close"}
              </Button>
            </Group>
          </Stack>
        ) : (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              start();
            }}
          >
            <Stack>
              <Text size="sm">An agent runs on each host whose databases you back up. Holdfast makes a single-use enrollment token for it, valid 15 minutes.</Text>
              {issue.isError && <ErrorState title="No enrollment token was made" error={issue.error} />}
              <TextInput label="Name" description="To recognise the token while it is pending, such as the host's name (optional)" value={name} onChange={(e) => setName(e.currentTarget.value)} maxLength={100} data-autofocus />
              <FormActions onCancel={dismiss} submitLabel="Make the commands" pending={issue.isPending} />
            </Stack>
          </form>
        )}
      </Modal>
    </>
  );
}
