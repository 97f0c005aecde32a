import { CreateDatasourceBody, Engine } from "@holdfast/shared";
import { Button, Checkbox, Fieldset, Group, Input, NumberInput, SegmentedControl, Select, Stack, TagsInput, Text, Textarea, TextInput } from "@mantine/core";
import { schemaResolver, useForm } from "@mantine/form";
import { useMutation, useQuery } from "@tanstack/react-query";
import { ApiError } from "@holdfast/shared";
import { api, unwrap } from "../../api/client.js";
import { fieldErrorsFrom } from "../../ui/form-errors.js";
import { SchemaFields } from "../../ui/schema-form/schema-fields.js";
import { ErrorState } from "../../ui/states.js";
import { agentsQuery } from "../agents/agents-query.js";
import { type AuthMode, blankInputs, connectionFields, createBody, type DatasourceInputs, hasCredentials, storedInputs, updateBody } from "./datasource-inputs.js";
import { DatabasePicker } from "./database-picker.js";
import type { DatasourceItem } from "./datasources-query.js";
import { CONNECTION_TEXTS, ENGINE_LABELS } from "./engine-texts.js";
import { ToolPriorityFields } from "./tool-priority-fields.js";

const checkCreate = schemaResolver(CreateDatasourceBody, { sync: true });

const AUTH_CHOICES: { value: AuthMode; label: string }[] = [
  { value: "password", label: "Password" },
  { value: "passwordFile", label: "Password file" },
  { value: "none", label: "None" },
];

/**
 * Creates a datasource, or edits `stored`: exactly its engine's connection fields, as the shared
 * schema has them, checked as the user types. What only the agent can tell (the server refused
 * the password, the database does not exist, the agent is offline) comes back from the save and is
 * shown here, on the field when the server names one.
 */
export function DatasourceForm({ stored, onSaved, onCancel }: { stored?: DatasourceItem; onSaved: (id: string) => void; onCancel: () => void }) {
  const agents = useQuery(agentsQuery);
  const storedPassword = stored !== undefined && (stored.connection as { password?: string }).password !== undefined;
  const form = useForm<DatasourceInputs>({
    initialValues: stored ? storedInputs(stored) : blankInputs("postgres", null),
    validate: (values) => checkCreate(createBody(values, storedPassword)),
    validateInputOnChange: true,
  });
  const save = useMutation({
    mutationFn: async (values: DatasourceInputs) => {
      if (stored) return unwrap(api.datasources[":id"].$patch({ param: { id: stored.id }, json: updateBody(values) as never }));
      return unwrap(api.datasources.$post({ json: CreateDatasourceBody.parse(createBody(values)) }));
    },
    onSuccess: (saved) => onSaved(saved.id),
    onError: (error) => {
      if (error instanceof ApiError) form.setErrors(fieldErrorsFrom(error, error.fieldIssues.map((i) => i.path)));
    },
  });
  const { engine, auth } = form.values;
  const fields = connectionFields(engine);
  const credentials = hasCredentials(engine);
  const split = credentials ? fields.findIndex((f) => f.name === "password") : fields.length;
  const skip = ["password", "passwordFile"];
  const agentChoices = (agents.data ?? []).filter((a) => a.status !== "revoked").map((a) => ({ value: a.id, label: `${a.name} (${a.hostname}) · ${a.status}` }));
  const connectionProps = { form, path: "connection", texts: CONNECTION_TEXTS, skip } as const;
  const picker = stored && fields.some((f) => f.name === "database") ? { database: <DatabasePicker datasourceId={stored.id} onPick={(name) => form.setFieldValue("connection.database", name)} /> } : {};

  return (
    <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate aria-label={stored ? `Edit ${stored.name}` : "New datasource"}>
      <Stack>
        <TextInput label="Name" withAsterisk {...form.getInputProps("name")} placeholder="billing-prod" data-autofocus />
        <Select
          label="Engine"
          withAsterisk
          data={Engine.options.map((e) => ({ value: e, label: ENGINE_LABELS[e] }))}
          {...form.getInputProps("engine")}
          onChange={(value) => {
            if (!value) return;
            const next = Engine.parse(value);
            form.setValues({ engine: next, connection: blankInputs(next, null).connection, auth: "password" });
          }}
          disabled={stored !== undefined}
          description={stored ? "Another engine is another datasource." : undefined}
          allowDeselect={false}
        />
        <Select
          label="Agent"
          withAsterisk
          data={agentChoices}
          {...form.getInputProps("agentId")}
          disabled={stored !== undefined}
          description={stored ? "The agent keeps the password: another host is another datasource." : "The agent on the host that reaches the database."}
          placeholder={agents.isPending ? "Loading agents…" : agentChoices.length === 0 ? "No agents: add one first" : "Choose an agent"}
          nothingFoundMessage="No agent"
          allowDeselect={false}
        />
        <Fieldset legend={`Connection (${ENGINE_LABELS[engine]})`}>
          <Stack gap="sm">
            <SchemaFields {...connectionProps} fields={fields.slice(0, split)} after={picker} />
            {credentials && (
              <Stack gap={6}>
                <Input.Label id="auth-label">
                  Authentication
                </Input.Label>
                <SegmentedControl aria-labelledby="auth-label" data={AUTH_CHOICES} {...form.getInputProps("auth")} fullWidth />
                {auth === "none" && (
                  <Text size="sm" c="dimmed">
                    No secret: the server trusts the agent's host or system user (peer or trust authentication).
                  </Text>
                )}
                <SchemaFields {...connectionProps} fields={fields.filter((f) => f.name === auth)} skip={[]} secrets={["password"]} storedSecrets={storedPassword ? ["password"] : []} />
              </Stack>
            )}
            <SchemaFields {...connectionProps} fields={fields.slice(split).filter((f) => !skip.includes(f.name))} />
            {typeof form.errors.connection === "string" && (
              <Text c="red" size="sm" role="alert">
                {form.errors.connection}
              </Text>
            )}
          </Stack>
        </Fieldset>
        <NumberInput label="Longest run (minutes)" description="A run taking longer is stopped, so one hung dump never blocks the agent's queue." min={1} max={10_080} allowDecimal={false} {...form.getInputProps("maxDurationMinutes")} />
        <ToolPriorityFields form={form} />
        <NumberInput label="Health check every (minutes)" description="How often its agent checks the connection; empty: every 5 minutes." min={1} max={1440} allowDecimal={false} {...form.getInputProps("healthIntervalMinutes")} />
        <TagsInput label="Tags" description="Labels to sort by (prod, team:billing); Enter after each." {...form.getInputProps("tags")} clearable />
        <Textarea label="Note" description="For the people who run it: owner, runbook." autosize minRows={2} maxRows={6} {...form.getInputProps("note")} />
        <Checkbox label="Test the connection through the agent before saving" description="Off: saved untested (a restore target whose database does not exist yet)." {...form.getInputProps("test", { type: "checkbox" })} />
        {save.isError && <ErrorState title={stored ? "The changes were not saved" : "The datasource was not added"} error={save.error} />}
        <Group justify="flex-end">
          <Button variant="default" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" loading={save.isPending}>
            {stored ? "Save changes" : "Add datasource"}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
