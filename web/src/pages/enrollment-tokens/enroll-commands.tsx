import { Alert, Code, Stack, Text } from "@mantine/core";
import { agentRunCommand } from "@holdfast/shared";
import { DateTime } from "../../ui/date-time.js";
import { CopyableValue, ShownOnceNotice } from "../../ui/shown-once.js";
import type { IssuedEnrollmentToken } from "./issue-enrollment-token.js";
import { AgentPackageNotice } from "./agent-package-notice.js";

/**
 * The commands that enroll a host with a new token, as the API answered them (the token is in them,
 * shown this once): the one-line install first, then the by-hand enroll and run lines.
 */
export function EnrollCommands({ issued }: { issued: IssuedEnrollmentToken }) {
  const pinned = issued.commands.enroll.argv.includes("--ca-pin");
  return (
    <Stack>
      <ShownOnceNotice what="commands" />
      {issued.commands.warning && (
        <Alert color="red" title="Not encrypted">
          {issued.commands.warning}
        </Alert>
      )}
      <Text size="sm">
        The token works once, until <DateTime value={issued.expiresAt} />. It travels in the environment, never on the command line.
        {pinned && " The host checks this control plane's certificate against the pinned key before it sends anything."}
      </Text>
      <CopyableValue label="Install the agent as a service (run on the host)" value={issued.commands.install.shell} />
      <Text size="sm" c="dimmed">
        Or, with the agent already on the host:
      </Text>
      <CopyableValue label="Enroll command" value={issued.commands.enroll.shell} />
      <CopyableValue label="Then start the agent" value={agentRunCommand(issued.commands.enroll.argv)} />
      <Text size="xs" c="dimmed">
        Server address: <Code>{issued.serverUrl}</Code>
      </Text>
      <AgentPackageNotice />
    </Stack>
  );
}
