import { CreateDestinationBody, DestinationType } from "@holdfast/shared";
import { Button, Checkbox, Fieldset, Group, Input, NumberInput, SegmentedControl, Stack, TextInput } from "@mantine/core";
import { schemaResolver, useForm } from "@mantine/form";
import { useMutation } from "@tanstack/react-query";
import { ApiError } from "@holdfast/shared";
import { api, unwrap } from "../../api/client.js";
import { fieldErrorsFrom } from "../../ui/form-errors.js";
import { SchemaFields } from "../../ui/schema-form/schema-fields.js";
import { ErrorState } from "../../ui/states.js";
import { blankInputs, configFields, createBody, type DestinationInputs, secretFields, storedInputs, storedSecretsOf, updateBody, withoutStoredSecrets } from "./destination-inputs.js";
import type { DestinationItem } from "./destinations-query.js";
import { CONFIG_TEXTS, TYPE_LABELS } from "./destination-texts.js";

const checkCreate = schemaResolver(CreateDestinationBody, { sync: true });

/**
 * Creates a destination, or edits `stored`: exactly its type's config fields from the shared schema,
 * secrets write-only. The server proves a destination works before it keeps it (a probe written,
 * read back and deleted): its refusal, a folder that cannot be written or credentials refused, is
 * shown here, on the field when it names one.
 */
export function DestinationForm({ stored, onSaved, onCancel }: { stored?: DestinationItem; onSaved: () => void; onCancel: () => void }) {
  const kept = storedSecretsOf(stored);
  const form = useForm<DestinationInputs>({
    initialValues: stored ? storedInputs(stored) : blankInputs("local"),
    validate: (values) => withoutStoredSecrets(checkCreate(createBody(values)), values, kept),
    validateInputOnChange: true,
  });
  const save = useMutation({
    mutationFn: async (values: DestinationInputs) => {
      if (stored) return unwrap(api.destinations[":id"].$patch({ param: { id: stored.id }, json: updateBody(values) as never }));
      return unwrap(api.destinations.$post({ json: CreateDestinationBody.parse(createBody(values)) }));
    },
    onSuccess: () => onSaved(),
    onError: (error) => {
      if (error instanceof ApiError) form.setErrors(fieldErrorsFrom(error, error.fieldIssues.map((i) => i.path)));
    },
  });
  const { type } = form.values;
  return (
    <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate aria-label={stored ? `Edit ${stored.name}` : "New destination"}>
      <Stack>
        <TextInput label="Name" withAsterisk placeholder="offsite-s3" {...form.getInputProps("name")} data-autofocus />
        <Stack gap={6}>
          <Input.Label id="destination-type-label">
            Type
          </Input.Label>
          <SegmentedControl
            aria-labelledby="destination-type-label"
            data={DestinationType.options.map((t) => ({ value: t, label: TYPE_LABELS[t] }))}
            value={type}
            onChange={(value) => {
              const next = DestinationType.parse(value);
              form.setValues({ type: next, config: blankInputs(next).config });
              form.clearErrors();
            }}
            disabled={stored !== undefined}
            fullWidth
          />
        </Stack>
        <Fieldset legend={`Where (${TYPE_LABELS[type]})`}>
          <SchemaFields fields={configFields(type)} form={form} path="config" texts={CONFIG_TEXTS[type]} secrets={secretFields(type)} storedSecrets={kept} />
        </Fieldset>
        <NumberInput label="Quota (GB)" description="Backups that would take it past this are refused; empty for none. 1 GB = 10⁹ bytes." min={0} decimalScale={3} {...form.getInputProps("maxSizeGb")} />
        <NumberInput
          label="Transfer cap (MiB/s)"
          description="Backups are written to it no faster than this; a delivery under way slows down or speeds up when it changes. Empty for none. Not applied to a hard-linked local copy (no bytes move)."
          min={0}
          decimalScale={2}
          {...form.getInputProps("transferCapMiBps")}
        />
        <Checkbox label="Default destination" description="Preselected for new schedules and backups." {...form.getInputProps("isDefault", { type: "checkbox" })} />
        {save.isError && <ErrorState title={stored ? "The changes were not saved" : "The destination was not added"} error={save.error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending}>
            {stored ? "Save changes" : "Add destination"}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
