import { NumberInput, SimpleGrid } from "@mantine/core";
import type { RetentionPolicy } from "@holdfast/shared";

/** Every rule of the form, each a count where 0 switches the rule off. */
export type RetentionCounts = Required<RetentionPolicy>;

export const NO_RETENTION: RetentionCounts = { keepLast: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepYearly: 0, manualRetentionDays: 0 };

const RULES: { key: keyof RetentionCounts; label: string; description: string }[] = [
  { key: "keepLast", label: "Keep last", description: "newest backups" },
  { key: "keepDaily", label: "Daily", description: "days, newest of each" },
  { key: "keepWeekly", label: "Weekly", description: "weeks, newest of each" },
  { key: "keepMonthly", label: "Monthly", description: "months, newest of each" },
  { key: "keepYearly", label: "Yearly", description: "years, newest of each" },
  { key: "manualRetentionDays", label: "Manual backups", description: "days kept (0: until deleted)" },
];

/** The policy's counts with every rule present, for the form (0 where the stored policy has none). */
export function countsOf(policy: RetentionPolicy | null | undefined): RetentionCounts {
  return { ...NO_RETENTION, ...policy };
}

/** GFS counts (restic's forget); 0 switches a rule off, and all off keeps everything. */
export function RetentionFields({ value, onChange, disabled = false }: { value: RetentionCounts; onChange: (key: keyof RetentionCounts, count: number) => void; disabled?: boolean }) {
  return (
    <SimpleGrid cols={{ base: 2, sm: 3 }} spacing="sm">
      {RULES.map((r) => (
        <NumberInput
          key={r.key}
          label={r.label}
          description={r.description}
          min={0}
          max={10_000}
          clampBehavior="strict"
          allowDecimal={false}
          allowNegative={false}
          value={value[r.key]}
          onChange={(v) => onChange(r.key, typeof v === "number" ? v : 0)}
          disabled={disabled}
        />
      ))}
    </SimpleGrid>
  );
}
