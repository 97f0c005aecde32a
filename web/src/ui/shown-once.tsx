import { ActionIcon, Alert, Code, CopyButton, Group, Stack, Text, Tooltip } from "@mantine/core";
import { IconCheck, IconCopy, IconEyeExclamation } from "@tabler/icons-react";
import classes from "./shown-once.module.css";

/** A value to copy (a command, a token), on lines that wrap rather than hide its end, with a copy button named after it. */
export function CopyableValue({ label, value }: { label: string; value: string }) {
  return (
    <Stack gap={4}>
      <Group justify="space-between" wrap="nowrap" gap="xs">
        <Text size="sm" fw={600}>
          {label}
        </Text>
        <CopyButton value={value} timeout={2000}>
          {({ copied, copy }) => (
            <Tooltip label={copied ? "Copied" : "Copy"} withArrow>
              <ActionIcon variant="light" color={copied ? "teal" : "gray"} onClick={copy} aria-label={copied ? `${label}: copied` : `Copy ${label.toLowerCase()}`}>
                {copied ? <IconCheck size={16} aria-hidden /> : <IconCopy size={16} aria-hidden />}
              </ActionIcon>
            </Tooltip>
          )}
        </CopyButton>
      </Group>
      <Code block className={classes.value}>
        {value}
      </Code>
    </Stack>
  );
}

/** The warning above a secret the server answers once: it is not kept in a form anyone can read again. */
export function ShownOnceNotice({ what }: { what: string }) {
  return (
    <Alert color="blue" variant="light" icon={<IconEyeExclamation aria-hidden />} title={`Copy the ${what} now`}>
      <Text size="sm">This is the only time it is shown: Holdfast keeps only a hash of the secret in it. If it is lost, make a new one.</Text>
    </Alert>
  );
}
