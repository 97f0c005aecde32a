import { ERROR_CATALOG, type ErrorCode } from "@holdfast/shared";
import { Alert, Code, Stack, Text } from "@mantine/core";
import { IconAlertTriangle, IconCircleX } from "@tabler/icons-react";
import type { RunView } from "./run-query.js";

/** What the catalog says to do about a code; a code newer than this console gets a general hint. */
export function actionFor(code: string): string {
  return Object.hasOwn(ERROR_CATALOG, code) ? ERROR_CATALOG[code as ErrorCode].action : "This console does not know the code yet: the message says what happened; reload the page after an upgrade.";
}

/** Why the run failed (its catalog code and what to do), or why it was cancelled, missed or expired. */
export function RunOutcome({ run }: { run: RunView }) {
  if (run.error) {
    return (
      <Alert color="red" variant="light" mb="lg" title={run.state === "failed" ? "This run failed" : `This run ${run.state}`} icon={<IconAlertTriangle aria-hidden />}>
        <Stack gap={6}>
          <Text size="sm">{run.error.message}</Text>
          <Text size="sm">
            Error code <Code>{run.error.code}</Code>
          </Text>
          <Text size="sm" fw={500}>
            What to do: {actionFor(run.error.code)}
          </Text>
        </Stack>
      </Alert>
    );
  }
  if (run.state === "cancelled") {
    return (
      <Alert color="gray" variant="light" mb="lg" title="This run was cancelled" icon={<IconCircleX aria-hidden />}>
        <Text size="sm">{run.cancelReason ?? "No reason was given."}</Text>
      </Alert>
    );
  }
  if (run.state === "expired" || run.state === "missed") {
    return (
      <Alert color="orange" variant="light" mb="lg" title={run.state === "expired" ? "This run expired in the queue" : "This run was missed"} icon={<IconAlertTriangle aria-hidden />}>
        <Text size="sm">
          {run.state === "expired"
            ? "It waited for its agent longer than a queued run may and was dropped without running."
            : "Its firing time passed while it could not start (the agent was away or another run held the slot)."}
        </Text>
      </Alert>
    );
  }
  return null;
}
