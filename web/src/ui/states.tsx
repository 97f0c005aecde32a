import { Alert, Button, Center, Code, Group, Loader, Stack, Text, Title } from "@mantine/core";
import { IconAlertTriangle, IconRefresh } from "@tabler/icons-react";
import type { ReactNode } from "react";
import { ApiError } from "@holdfast/shared";

/** A region that is loading: announced to screen readers, a spinner for the eye. */
export function LoadingState({ label = "Loading" }: { label?: string }) {
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Group gap="sm">
        <Loader size="sm" aria-hidden />
        <Text c="dimmed">{label}…</Text>
      </Group>
    </Center>
  );
}

/** Nothing to show yet, and what to do about it. */
export function EmptyState({ title, children, icon }: { title: string; children?: ReactNode; icon?: ReactNode }) {
  return (
    <Stack align="center" gap="xs" py="xl" px="md" ta="center">
      {icon}
      <Title order={3} size="h4">
        {title}
      </Title>
      {children}
    </Stack>
  );
}

/** Any thrown value as something a person can act on: an ApiError keeps its message and the catalog's action. */
export function describeError(error: unknown): { message: string; action: string | undefined; requestId: string | undefined; retryable: boolean } {
  if (error instanceof ApiError) return { message: error.message, action: error.action, requestId: error.requestId, retryable: error.retryable };
  // A page's code failed to load (a new version was deployed, the network dropped): a reload fetches it again.
  return { message: error instanceof Error ? error.message : String(error), action: "Reload the page; if it happens again, report it with what you did.", requestId: undefined, retryable: true };
}

/** A failure: the message, what to do, the request id for a report, and a retry when retrying can help. */
export function ErrorState({ error, title = "Something went wrong", onRetry }: { error: unknown; title?: string; onRetry?: (() => void) | undefined }) {
  const { message, action, requestId, retryable } = describeError(error);
  return (
    <Alert color="red" variant="light" title={title} icon={<IconAlertTriangle aria-hidden />} role="alert">
      <Stack gap={6}>
        <Text size="sm">{message}</Text>
        {action && (
          <Text size="sm" c="dimmed">
            {action}
          </Text>
        )}
        {requestId && (
          <Text size="xs" c="dimmed">
            Request id <Code>{requestId}</Code>
          </Text>
        )}
        {onRetry && retryable && (
          <Group>
            <Button size="xs" variant="light" color="red" leftSection={<IconRefresh size={14} aria-hidden />} onClick={onRetry}>
              Try again
            </Button>
          </Group>
        )}
      </Stack>
    </Alert>
  );
}
