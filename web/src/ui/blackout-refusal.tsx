import { ApiError } from "@holdfast/shared";
import { Alert, Button, Group, Stack, Text } from "@mantine/core";
import { IconMoonStars } from "@tabler/icons-react";
import { formatDateTime } from "../format/time.js";

/** The refusal's window and end, when the error is a 409 BLACKOUT_WINDOW; null otherwise. */
export function blackoutRefusalOf(error: unknown): { text: string; endsAt: string | null } | null {
  if (!(error instanceof ApiError) || error.code !== "BLACKOUT_WINDOW") return null;
  const window = error.details?.window as { text?: unknown } | undefined;
  const endsAt = typeof error.details?.endsAt === "string" ? error.details.endsAt : null;
  return { text: typeof window?.text === "string" ? window.text : "a blackout window", endsAt };
}

/**
 * A manual backup refused inside a blackout window: which window, when it ends, and "Run anyway",
 * which sends it again with `force` (the audit records it). Renders nothing for other errors.
 */
export function BlackoutRefusal({ error, onForce, pending }: { error: unknown; onForce: () => void; pending: boolean }) {
  const refusal = blackoutRefusalOf(error);
  if (!refusal) return null;
  return (
    <Alert color="yellow" variant="light" title="Inside a blackout window" styles={{ title: { color: "var(--mantine-color-text)" } }} icon={<IconMoonStars aria-hidden />} role="alert">
      <Stack gap="xs">
        <Text size="sm">
          Now is inside the {refusal.text}
          {refusal.endsAt ? (
            <>
              , which ends at <time dateTime={refusal.endsAt}>{formatDateTime(refusal.endsAt)}</time>
            </>
          ) : null}
          . Backups do not start then unless you run them anyway; the audit log records that you did.
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={onForce} loading={pending}>
            Run anyway
          </Button>
        </Group>
      </Stack>
    </Alert>
  );
}
