import { Code, Stack, Text } from "@mantine/core";
import { agentRunCommand } from "@holdfast/shared";
import { DateTime } from "../../ui/date-time.js";
import { CopyableValue, ShownOnceNotice } from "../../ui/shown-once.js";
import type { IssuedEnrollmentToken } from "./issue-enrollment-token.js";
import { AgentPackageNotice } from "./agent-package-notice.js";

/** The commands that enroll a host with a new token, as the API answered them (the token is in them, shown this once). */
export function EnrollCommands({ issued }: { issued: IssuedEnrollmentToken }) {
  return (
    <Stack>
      <ShownOnceNotice what="commands" />
      <Text size="sm">
        The token works once, until <DateTime value={issued.expiresAt} />. It travels in the environment, never on the command line.
      </Text>
      <CopyableValue label="Enroll command" value={issued.commands.enroll.shell} />
      <CopyableValue label="Then start the agent" value={agentRunCommand(issued.commands.enroll.argv)} />
      <CopyableValue label="Or install it as a service, from a Holdfast checkout" value={issued.commands.install.shell} />
      <Text size="xs" c="dimmed">
        Server address: <Code>{issued.serverUrl}</Code>
      </Text>
      <AgentPackageNotice />
    </Stack>
  );
}
