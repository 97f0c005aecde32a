import { type BlackoutWindow, UpdateAgentBody } from "@holdfast/shared";
import { Alert, Button, Group, Paper, Stack, Text, Title } from "@mantine/core";
import { IconCheck } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client.js";
import { useCan } from "../../session/viewer.js";
import { BlackoutEditor, blackoutRowErrors } from "../../ui/blackout-editor.js";
import { ErrorState } from "../../ui/states.js";
import { TimeZoneSelect } from "../schedules/timezone-select.js";
import { AGENTS_QUERY_KEY, type AgentItem } from "./agents-query.js";

/**
 * The agent's blackout windows and their zone: no scheduled backup of its datasources starts inside
 * them (each schedule defers or skips, as it says), and a manual one asks to be forced. Checked with
 * the API's schema as it is edited; saved as a whole.
 */
export function AgentBlackoutPanel({ agent }: { agent: AgentItem }) {
  const queryClient = useQueryClient();
  const editable = useCan("PATCH /agents/:id") && agent.status !== "revoked";
  const [windows, setWindows] = useState<BlackoutWindow[]>(agent.blackout);
  const [timezone, setTimezone] = useState(agent.timezone);
  const checked = UpdateAgentBody.safeParse({ blackout: windows, timezone });
  const rowErrors = checked.success ? {} : blackoutRowErrors(checked.error.issues.filter((i) => i.path[0] === "blackout").map((i) => ({ ...i, path: i.path.slice(1) })));
  const dirty = JSON.stringify(windows) !== JSON.stringify(agent.blackout) || timezone !== agent.timezone;
  const save = useMutation({
    mutationFn: () => unwrap(api.agents[":id"].$patch({ param: { id: agent.id }, json: { blackout: windows, timezone } })),
    onSuccess: async (saved) => {
      queryClient.setQueryData<AgentItem[]>(AGENTS_QUERY_KEY, (items) => items?.map((a) => (a.id === agent.id ? { ...a, blackout: saved.blackout, timezone: saved.timezone } : a)));
      await queryClient.invalidateQueries({ queryKey: AGENTS_QUERY_KEY });
    },
  });
  return (
    <Paper withBorder p="md">
      <Stack gap="sm">
        <Title order={2} size="h4">
          Blackout windows
        </Title>
        <Text size="sm" c="dimmed">
          No scheduled backup of this agent's datasources starts inside these windows (each schedule runs it when the window ends, or skips it, as it is set). Backup now asks you to
          confirm. Times are on the clock of the zone below.
        </Text>
        <TimeZoneSelect value={timezone} onChange={setTimezone} disabled={!editable} description="The windows are read on this zone's clock, daylight saving included." />
        <BlackoutEditor value={windows} onChange={setWindows} timezone={timezone} errors={rowErrors} disabled={!editable} />
        {save.isError && <ErrorState title="Not saved" error={save.error} />}
        {save.isSuccess && !dirty && (
          <Alert color="teal" variant="light" icon={<IconCheck aria-hidden />} role="status">
            Saved.
          </Alert>
        )}
        {editable && (
          <Group justify="flex-end">
            <Button onClick={() => save.mutate()} loading={save.isPending} disabled={!dirty || !checked.success}>
              Save blackout windows
            </Button>
          </Group>
        )}
      </Stack>
    </Paper>
  );
}
