import { Button, Stack, Text } from "@mantine/core";
import { IconCircleCheck } from "@tabler/icons-react";
import { useMutation } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.js";
import { ErrorState } from "../../ui/states.js";
import classes from "./notifications.module.css";
import type { ChannelItem } from "./notifications-query.js";

/** Sends one test message now; the remote's own reason is shown when it refuses. */
export function SendTestButton({ channel }: { channel: ChannelItem }) {
  const test = useMutation({ mutationFn: () => unwrap(api["notification-channels"][":id"].test.$post({ param: { id: channel.id } })) });
  return (
    <Stack gap={4} align="flex-end">
      <Button variant="default" size="compact-sm" loading={test.isPending} onClick={() => test.mutate()} aria-label={`Send test to ${channel.name}`}>
        Send test
      </Button>
      <div aria-live="polite">
        {test.isError && <ErrorState title="The test could not be sent" error={test.error} />}
        {test.data?.ok && (
          <Text size="sm">
            <IconCircleCheck size={16} aria-hidden className={classes.ok} /> Test sent: check that it arrived.
          </Text>
        )}
        {test.data && !test.data.ok && (
          <Text size="sm" role="alert" className={classes.failed}>
            The test failed: {test.data.error?.message ?? "no reason given"}
          </Text>
        )}
      </div>
    </Stack>
  );
}
