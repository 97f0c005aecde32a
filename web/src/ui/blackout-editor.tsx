import { ActionIcon, Button, Checkbox, Group, Stack, Text, TextInput } from "@mantine/core";
import { IconPlus, IconTrash } from "@tabler/icons-react";
import { type BlackoutWindow, MAX_BLACKOUT_WINDOWS, WEEKDAYS, type Weekday } from "@holdfast/shared";

const DAY_LABELS: Record<Weekday, string> = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };

interface BlackoutEditorProps {
  value: BlackoutWindow[];
  onChange: (windows: BlackoutWindow[]) => void;
  /** The zone the times are read in, said next to them. */
  timezone: string;
  /** Per row, what is wrong with it (the schema's message). */
  errors?: Record<number, string | undefined>;
  disabled?: boolean;
}

/**
 * Blackout windows as rows: the days a window starts on, and from/to on the zone's clock. A `to`
 * earlier than `from` ends the next day (22:00 to 02:00), which the row says, so a window across
 * midnight is not mistaken for one that never ends.
 */
export function BlackoutEditor({ value, onChange, timezone, errors = {}, disabled = false }: BlackoutEditorProps) {
  const change = (i: number, patch: Partial<BlackoutWindow>) => onChange(value.map((w, j) => (j === i ? { ...w, ...patch } : w)));
  return (
    <Stack gap="sm">
      {value.length === 0 && (
        <Text size="sm" c="dimmed">
          No blackout windows: backups may start at any time.
        </Text>
      )}
      {value.map((w, i) => (
        <Stack key={i} gap={4} role="group" aria-label={`Blackout window ${i + 1}`}>
          <Group gap="md" align="flex-end" wrap="wrap">
            <Checkbox.Group label="Starts on" value={w.days} onChange={(days) => change(i, { days: WEEKDAYS.filter((d) => days.includes(d)) })}>
              <Group gap={8} mt={6}>
                {WEEKDAYS.map((d) => (
                  <Checkbox key={d} value={d} label={DAY_LABELS[d]} disabled={disabled} />
                ))}
              </Group>
            </Checkbox.Group>
            <TextInput type="time" label="From" value={w.from} onChange={(e) => change(i, { from: e.currentTarget.value })} disabled={disabled} w={150} />
            <TextInput type="time" label="To" value={w.to} onChange={(e) => change(i, { to: e.currentTarget.value })} disabled={disabled} w={150} />
            {!disabled && (
              <ActionIcon variant="subtle" color="red" size="lg" aria-label={`Remove blackout window ${i + 1}`} onClick={() => onChange(value.filter((_, j) => j !== i))}>
                <IconTrash size={18} aria-hidden />
              </ActionIcon>
            )}
          </Group>
          {errors[i] ? (
            <Text size="xs" c="red" role="alert">
              {errors[i]}
            </Text>
          ) : (
            w.from && w.to && w.to < w.from && (
              <Text size="xs" c="dimmed">
                Ends at {w.to} the next day ({timezone}).
              </Text>
            )
          )}
        </Stack>
      ))}
      {!disabled && value.length < MAX_BLACKOUT_WINDOWS && (
        <Group>
          <Button variant="default" size="compact-sm" leftSection={<IconPlus size={14} aria-hidden />} onClick={() => onChange([...value, { days: ["mon", "tue", "wed", "thu", "fri"], from: "08:00", to: "18:00" }])}>
            Add a blackout window
          </Button>
        </Group>
      )}
    </Stack>
  );
}

/** Each window's schema message by row, for BlackoutEditor's `errors`. */
export function blackoutRowErrors(issues: readonly { path: PropertyKey[]; message: string }[]): Record<number, string> {
  const rows: Record<number, string> = {};
  for (const issue of issues) {
    const row = issue.path[0];
    if (typeof row === "number" && rows[row] === undefined) rows[row] = issue.message;
  }
  return rows;
}
