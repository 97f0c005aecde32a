import {
  CreateNotificationChannelBody,
  NOTIFICATION_KINDS,
  NotificationChannelType,
  type NotificationKind,
  NotificationSeverity,
  ApiError,
} from "@holdfast/shared";
import { Checkbox, Fieldset, Input, Select, SegmentedControl, SimpleGrid, Stack, Switch, TextInput } from "@mantine/core";
import { schemaResolver, useForm } from "@mantine/form";
import { useMutation } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.js";
import { fieldErrorsFrom } from "../../ui/form-errors.js";
import { FormActions } from "../../ui/form-actions.js";
import { SchemaFields } from "../../ui/schema-form/schema-fields.js";
import { ErrorState } from "../../ui/states.js";
import { blankInputs, type ChannelInputs, configFields, createBody, secretFields, storedInputs, storedSecretsOf, updateBody, withoutStoredSecrets } from "./channel-inputs.js";
import { CONFIG_TEXTS, TYPE_LABELS } from "./channel-texts.js";
import type { ChannelItem } from "./notifications-query.js";

const checkCreate = schemaResolver(CreateNotificationChannelBody, { sync: true });
const KINDS = Object.keys(NOTIFICATION_KINDS) as NotificationKind[];

/**
 * Adds a notification channel, or edits `stored`: its type's settings drawn from the shared schema
 * (secrets write-only), the event kinds it hears about and the least severity. The server refuses a
 * target on a link-local or metadata address; its refusal shows here, on the field when it names one.
 */
export function ChannelForm({ stored, onSaved, onCancel }: { stored?: ChannelItem; onSaved: () => void; onCancel: () => void }) {
  const kept = storedSecretsOf(stored);
  const form = useForm<ChannelInputs>({
    initialValues: stored ? storedInputs(stored) : blankInputs("webhook"),
    validate: (values) => withoutStoredSecrets(checkCreate(createBody(values)), values, kept),
    validateInputOnChange: true,
  });
  const save = useMutation({
    mutationFn: async (values: ChannelInputs) => {
      if (stored) return unwrap(api["notification-channels"][":id"].$patch({ param: { id: stored.id }, json: updateBody(values) as never }));
      return unwrap(api["notification-channels"].$post({ json: CreateNotificationChannelBody.parse(createBody(values)) }));
    },
    onSuccess: () => onSaved(),
    onError: (error) => {
      if (error instanceof ApiError) form.setErrors(fieldErrorsFrom(error, error.fieldIssues.map((i) => i.path)));
    },
  });
  const { type } = form.values;
  return (
    <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate aria-label={stored ? `Edit ${stored.name}` : "New notification channel"}>
      <Stack>
        <TextInput label="Name" withAsterisk placeholder="on-call Slack" {...form.getInputProps("name")} data-autofocus />
        <Select
          label="Type"
          data={NotificationChannelType.options.map((t) => ({ value: t, label: TYPE_LABELS[t] }))}
          value={type}
          allowDeselect={false}
          disabled={stored !== undefined}
          onChange={(value) => {
            const next = NotificationChannelType.parse(value);
            form.setValues({ type: next, config: blankInputs(next).config });
            form.clearErrors();
          }}
        />
        <Fieldset legend={`Where (${TYPE_LABELS[type]})`}>
          <SchemaFields fields={configFields(type)} form={form} path="config" texts={CONFIG_TEXTS[type]} secrets={secretFields(type)} storedSecrets={kept} />
        </Fieldset>
        <Checkbox.Group label="Events" description="What this channel hears about." {...form.getInputProps("events")}>
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing={6} mt="xs">
            {KINDS.map((k) => (
              <Checkbox key={k} value={k} label={NOTIFICATION_KINDS[k].label} />
            ))}
          </SimpleGrid>
        </Checkbox.Group>
        <Stack gap={6}>
          <Input.Label id="min-severity-label">Least severity</Input.Label>
          <SegmentedControl
            aria-labelledby="min-severity-label"
            data={NotificationSeverity.options.map((s) => ({ value: s, label: s }))}
            value={form.values.minSeverity}
            onChange={(value) => form.setFieldValue("minSeverity", NotificationSeverity.parse(value))}
          />
        </Stack>
        <Switch label="Enabled" {...form.getInputProps("enabled", { type: "checkbox" })} />
        {save.isError && <ErrorState title={stored ? "The changes were not saved" : "The channel was not added"} error={save.error} />}
        <FormActions onCancel={onCancel} submitLabel={stored ? "Save changes" : "Add channel"} pending={save.isPending} />
      </Stack>
    </form>
  );
}
