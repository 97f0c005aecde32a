import { Code, Stack, Text } from "@mantine/core";
import classes from "./agents-page.module.css";

/** How to add the first agent, with this control plane's address filled in. */
export function EnrollHint() {
  const server = window.location.origin;
  return (
    <Stack gap="xs" maw={640} w="100%" ta="left">
      <Text c="dimmed">An agent runs on each host whose databases you back up. To add one, make an enrollment token on the control plane's host:</Text>
      <Code block className={classes.command}>holdfast token create</Code>
      <Text c="dimmed">then, on the database host, enroll with it and start the agent:</Text>
      <Code block className={classes.command}>{`HOLDFAST_ENROLL_TOKEN=hf_enr_… holdfast-agent enroll --server ${server}\nholdfast-agent run`}</Code>
    </Stack>
  );
}
