import { Alert, Button, Checkbox, Fieldset, Group, MultiSelect, Radio, Select, SimpleGrid, Stack, TagsInput, Text, TextInput, Title } from "@mantine/core";
import { useForm } from "@mantine/form";
import { ENGINE_FORMATS, isWholeServer } from "@holdfast/shared";
import { useMutation } from "@tanstack/react-query";
import { IconCheck } from "@tabler/icons-react";
import { ApiError } from "@holdfast/shared";
import { fieldErrorsFrom } from "../../ui/form-errors.js";
import { ErrorState } from "../../ui/states.js";
import { BlackoutEditor } from "../../ui/blackout-editor.js";
import { CronField } from "./cron-field.js";
import { NextFirings } from "./next-firings.js";
import { RetentionFields } from "./retention-fields.js";
import { RetentionPreview } from "./retention-preview.js";
import { TimeZoneSelect } from "./timezone-select.js";
import { CODECS, type ScheduleFormValues, validateSchedule } from "./schedule-form-values.js";
import type { DatasourceItem, DestinationItem } from "./schedules-query.js";

const SERVER_FIELDS = ["datasourceId", "name", "cron", "timezone", "destinationIds"] as const;
const CODEC_LABELS: Record<string, string> = { gzip: "gzip (default)", zstd: "zstd", none: "none" };

interface ScheduleFormProps {
  initial: ScheduleFormValues;
  datasources: DatasourceItem[];
  destinations: DestinationItem[];
  /** Set when editing: the datasource is fixed and the retention preview reads this schedule's backups. */
  scheduleId?: string;
  /** False for a viewer: the form shows the schedule and offers no save. */
  editable: boolean;
  submitLabel: string;
  onSubmit: (values: ScheduleFormValues) => Promise<unknown>;
}

/** Create or edit a schedule: what, when (with its next firings), where, how, and how long it is kept. */
export function ScheduleForm({ initial, datasources, destinations, scheduleId, editable, submitLabel, onSubmit }: ScheduleFormProps) {
  const form = useForm<ScheduleFormValues>({ mode: "controlled", initialValues: initial, validate: validateSchedule, validateInputOnChange: true });
  const save = useMutation({
    mutationFn: onSubmit,
    onSuccess: () => form.resetDirty(),
    onError: (error) => {
      if (error instanceof ApiError) form.setErrors(fieldErrorsFrom(error, SERVER_FIELDS));
    },
  });
  const v = form.values;
  const chosen = datasources.find((d) => d.id === v.datasourceId);
  const engine = chosen?.engine;
  // A whole server (database "*") writes the server format only, has no drill, and chooses databases.
  const whole = isWholeServer(chosen?.connection);
  const formats = engine ? ENGINE_FORMATS[engine] : [];
  const disabled = !editable;
  return (
    <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate>
      <Stack gap="lg">
        <Fieldset legend="What and where" disabled={disabled}>
          <Stack>
            <Select
              label="Datasource"
              placeholder="Choose a datasource"
              data={datasources.map((d) => ({ value: d.id, label: `${d.name} (${d.engine})` }))}
              required
              searchable
              nothingFoundMessage="No datasource by that name"
              disabled={disabled || scheduleId !== undefined}
              description={scheduleId ? "A schedule stays with its datasource: for another one, create a new schedule." : undefined}
              {...form.getInputProps("datasourceId")}
              onChange={(id) => {
                form.setFieldValue("datasourceId", id ?? "");
                form.setFieldValue("format", "");
                if (isWholeServer(datasources.find((d) => d.id === id)?.connection)) form.setFieldValue("verify", false);
              }}
            />
            <TextInput label="Name" placeholder="The datasource's name and the cron, unless you name it" maxLength={200} {...form.getInputProps("name")} />
            <MultiSelect
              label="Destinations"
              description="Each backup is delivered to every one of these."
              placeholder={v.destinationIds.length === 0 ? "Choose one or more" : undefined}
              data={destinations.map((d) => ({ value: d.id, label: `${d.name} (${d.type})` }))}
              required
              searchable
              nothingFoundMessage={destinations.length === 0 ? "No destinations yet: add one on the Destinations page" : "No destination by that name"}
              {...form.getInputProps("destinationIds")}
            />
          </Stack>
        </Fieldset>

        <Fieldset legend="When" disabled={disabled}>
          <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
            <Stack>
              <CronField value={v.cron} onChange={(cron) => form.setFieldValue("cron", cron)} error={form.errors.cron as string | undefined} disabled={disabled} />
              <TimeZoneSelect value={v.timezone} onChange={(zone) => form.setFieldValue("timezone", zone)} error={form.errors.timezone as string | undefined} disabled={disabled} />
              {!scheduleId && <Checkbox label="Create it paused (it fires once resumed)" {...form.getInputProps("paused", { type: "checkbox" })} />}
            </Stack>
            <NextFirings cron={v.cron} timezone={v.timezone} blackout={v.blackout} blackoutMisfire={v.blackoutMisfire} agentId={chosen?.agentId} />
          </SimpleGrid>
          <Stack gap="xs" mt="lg">
            <Title order={3} size="h5">
              Blackout windows ({v.timezone})
            </Title>
            <Text size="sm" c="dimmed">
              Times no firing of this schedule starts, on the schedule's zone's clock; the agent's own windows apply too. Run now is refused inside them unless you run it anyway.
            </Text>
            <BlackoutEditor
              value={v.blackout}
              onChange={(windows) => form.setFieldValue("blackout", windows)}
              timezone={v.timezone}
              errors={Object.fromEntries(v.blackout.map((_, i) => [i, form.errors[`blackout.${i}`] as string | undefined]))}
              disabled={disabled}
            />
            {v.blackout.length > 0 && (
              <Radio.Group label="A firing inside a window" {...form.getInputProps("blackoutMisfire")}>
                <Group mt={6}>
                  <Radio value="defer" label="runs once when the window ends" disabled={disabled} />
                  <Radio value="skip" label="is skipped (recorded as missed)" disabled={disabled} />
                </Group>
              </Radio.Group>
            )}
          </Stack>
        </Fieldset>

        <Fieldset legend="Backup options" disabled={disabled}>
          <Stack>
            <Group grow align="flex-start" preventGrowOverflow={false} wrap="wrap">
              {!whole && (
                <Select
                  label="Format"
                  data={[{ value: "", label: engine ? `${ENGINE_FORMATS[engine][0]} (default)` : "the engine's default" }, ...formats.slice(1).map((f) => ({ value: f, label: f }))]}
                  allowDeselect={false}
                  miw={180}
                  {...form.getInputProps("format")}
                />
              )}
              <Select label="Compression" data={CODECS.map((c) => ({ value: c, label: CODEC_LABELS[c] ?? c }))} allowDeselect={false} miw={180} {...form.getInputProps("codec")} />
            </Group>
            {whole && (
              <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
                <TagsInput label="Only these databases" description="Names or globs (app_*), read at each run; empty: all of them." {...form.getInputProps("databases.include")} />
                <TagsInput label="Not these databases" description="Names or globs." {...form.getInputProps("databases.exclude")} />
              </SimpleGrid>
            )}
            {!whole && <Checkbox label="Restore drill after each backup (restores it into a scratch database and compares)" {...form.getInputProps("verify", { type: "checkbox" })} />}
            {Object.keys(v.otherOptions).length > 0 && (
              <Text size="xs" c="dimmed">
                Other options set through the API ({Object.keys(v.otherOptions).join(", ")}) are kept as they are.
              </Text>
            )}
          </Stack>
        </Fieldset>

        <Fieldset legend="Retention" disabled={disabled}>
          <Stack>
            <Text size="sm" c="dimmed">
              Keep the newest good backup of each of the last N days, weeks, months and years (days and weeks on the schedule's zone's calendar). 0 switches a rule off;
              all off keeps everything. The newest good and newest verified backups are never deleted.
            </Text>
            <RetentionFields value={v.retention} onChange={(key, count) => form.setFieldValue(`retention.${key}`, count)} disabled={disabled} />
            {scheduleId ? (
              <RetentionPreview scheduleId={scheduleId} counts={v.retention} timezone={v.timezone} />
            ) : (
              <Text size="sm" c="dimmed">
                The policy applies to the backups this schedule fires (Run now's are manual backups, kept for the Manual backups days); once it has some, this shows
                what it keeps and deletes.
              </Text>
            )}
          </Stack>
        </Fieldset>

        {editable && (
          <Stack gap="xs">
            {save.isError && <ErrorState title="Not saved" error={save.error} />}
            {save.isSuccess && !form.isDirty() && scheduleId && (
              <Alert color="teal" variant="light" icon={<IconCheck aria-hidden />} role="status">
                Saved.
              </Alert>
            )}
            <Group justify="flex-end">
              <Button type="submit" loading={save.isPending}>
                {submitLabel}
              </Button>
            </Group>
          </Stack>
        )}
      </Stack>
    </form>
  );
}
