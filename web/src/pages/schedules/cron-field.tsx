import { Group, NumberInput, SegmentedControl, Select, Stack, Text, TextInput } from "@mantine/core";
import { useState } from "react";
import { describeCron } from "../../format/cron.js";
import { type CronPreset, cronOf, type PresetKind, presetOf, switchPreset, WEEKDAYS } from "./cron-presets.js";

const KINDS: { value: PresetKind; label: string }[] = [
  { value: "hourly", label: "Hourly" },
  { value: "daily", label: "Daily" },
  { value: "weekly", label: "Weekly" },
  { value: "custom", label: "Custom cron" },
];

interface CronFieldProps {
  value: string;
  onChange: (cron: string) => void;
  error?: string | undefined;
  disabled?: boolean;
}

/**
 * The cron, picked from presets (hourly at a minute, daily at a time, weekly on a day at a time) or
 * typed, and read back in words. A preset with an incomplete time leaves the cron as it was.
 */
export function CronField({ value, onChange, error, disabled = false }: CronFieldProps) {
  const [preset, setPreset] = useState<CronPreset>(() => presetOf(value));
  const change = (next: CronPreset) => {
    setPreset(next);
    const cron = cronOf(next);
    if (cron !== null) onChange(cron);
  };
  const words = describeCron(value);
  return (
    <Stack gap="xs">
      <Text component="label" id="cron-kind-label" size="sm" fw={500}>
        Runs
      </Text>
      <SegmentedControl
        aria-labelledby="cron-kind-label"
        data={KINDS}
        value={preset.kind}
        onChange={(kind) => change(switchPreset(preset, kind as PresetKind))}
        disabled={disabled}
        fullWidth
      />
      {preset.kind === "hourly" && (
        <NumberInput label="At minute" min={0} max={59} clampBehavior="strict" allowDecimal={false} value={preset.minute} onChange={(v) => change({ kind: "hourly", minute: typeof v === "number" ? v : 0 })} disabled={disabled} w={160} />
      )}
      {(preset.kind === "daily" || preset.kind === "weekly") && (
        <Group align="flex-start" grow preventGrowOverflow={false}>
          {preset.kind === "weekly" && (
            <Select
              label="On"
              data={WEEKDAYS.map((d) => ({ value: String(d.value), label: d.label }))}
              value={String(preset.weekday)}
              onChange={(v) => v !== null && change({ ...preset, weekday: Number(v) })}
              allowDeselect={false}
              disabled={disabled}
            />
          )}
          <TextInput label="Time of day" type="time" value={preset.time} onChange={(e) => change({ ...preset, time: e.currentTarget.value })} disabled={disabled} />
        </Group>
      )}
      {preset.kind === "custom" && (
        <TextInput
          label="Cron"
          description="Five fields: minute hour day month weekday (or six, seconds first)"
          value={preset.cron}
          onChange={(e) => change({ kind: "custom", cron: e.currentTarget.value })}
          error={error}
          disabled={disabled}
          styles={{ input: { fontFamily: "var(--mantine-font-family-monospace)" } }}
          autoComplete="off"
          spellCheck={false}
        />
      )}
      <Text size="sm" aria-live="polite" c={error ? "red" : undefined}>
        {preset.kind !== "custom" && error ? error : words ? `${words} (cron ${value})` : `cron ${value}`}
      </Text>
    </Stack>
  );
}
