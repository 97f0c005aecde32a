import { Select } from "@mantine/core";
import { useMemo } from "react";
import { viewerTimeZone } from "../../format/time.js";

/** Every zone the browser knows, with UTC, the viewer's and the current value even where it lists them not (links such as Asia/Calcutta). */
function zonesWith(current: string): string[] {
  const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  return [...new Set([viewerTimeZone(), "UTC", ...known, ...(current ? [current] : [])])].sort();
}

export function TimeZoneSelect({
  value,
  onChange,
  error,
  disabled = false,
  description = "The cron is read on this zone's clock, daylight saving included.",
}: {
  value: string;
  onChange: (zone: string) => void;
  error?: string | undefined;
  disabled?: boolean;
  description?: string;
}) {
  const zones = useMemo(() => zonesWith(value), [value]);
  return (
    <Select
      label="Time zone"
      description={`${description} Yours is ${viewerTimeZone()}.`}
      data={zones}
      value={value}
      onChange={(v) => v !== null && onChange(v)}
      searchable
      allowDeselect={false}
      limit={50}
      nothingFoundMessage="No such zone"
      error={error}
      disabled={disabled}
      comboboxProps={{ withinPortal: true }}
    />
  );
}
