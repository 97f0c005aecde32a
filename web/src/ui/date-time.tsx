import { Text, Tooltip } from "@mantine/core";
import { formatDateTime, formatRelative } from "../format/time.js";
import { useNow } from "./use-now.js";

/**
 * A moment in the viewer's zone (`2026-12-07 03:00 (Europe/Lisbon)`), in a `<time>` element; with
 * `relative`, how long ago it was follows it. Null (never) reads `never`.
 */
export function DateTime({ value, relative = false, seconds = false, withZone = true }: { value: string | null; relative?: boolean; seconds?: boolean; withZone?: boolean }) {
  const now = useNow();
  if (value === null) return <Text span inherit c="dimmed">never</Text>;
  const full = formatDateTime(value, { seconds, withZone: true });
  const shown = formatDateTime(value, { seconds, withZone });
  return (
    <Tooltip label={full} openDelay={400} disabled={withZone}>
      <time dateTime={value}>
        {shown}
        {relative && (
          <Text span c="dimmed" size="sm">
            {" "}
            · {formatRelative(value, now)}
          </Text>
        )}
      </time>
    </Tooltip>
  );
}
