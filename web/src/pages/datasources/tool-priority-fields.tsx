import { Fieldset, Group, NumberInput, Select, Text } from "@mantine/core";
import type { UseFormReturnType } from "@mantine/form";
import type { DatasourceInputs } from "./datasource-inputs.js";

const IO_CLASSES = [
  { value: "", label: "Agent's default" },
  { value: "best-effort", label: "Best-effort" },
  { value: "idle", label: "Idle" },
];

/** Niceness and I/O class of the datasource's dump and restore tools on the agent's host; empty: the agent's defaults. */
export function ToolPriorityFields({ form }: { form: UseFormReturnType<DatasourceInputs> }) {
  const idle = form.values.priority.ioClass === "idle";
  return (
    <Fieldset legend="Priority on the database host">
      <Text size="sm" c="dimmed" mb="xs">
        How gently the dump and restore tools run beside the database (nice, ionice). Empty: the agent's defaults.
      </Text>
      <Group grow align="flex-start" wrap="wrap">
        <NumberInput label="CPU niceness" description="0 to 19 (gentlest)" min={0} max={19} allowDecimal={false} allowNegative={false} placeholder="Agent's default" {...form.getInputProps("priority.nice")} />
        <Select label="Disk (I/O class)" description="Idle: only a free disk" data={IO_CLASSES} allowDeselect={false} {...form.getInputProps("priority.ioClass")} />
        <NumberInput
          label="Best-effort level"
          description={idle ? "Not used when idle" : "0 (first) to 7 (last)"}
          min={0}
          max={7}
          allowDecimal={false}
          allowNegative={false}
          placeholder={idle ? "—" : "4"}
          disabled={idle}
          {...form.getInputProps("priority.ioLevel")}
        />
      </Group>
    </Fieldset>
  );
}
