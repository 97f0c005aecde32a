import { Button, Checkbox, Group, Modal, PasswordInput, Select, Stack, Text, TextInput } from "@mantine/core";
import { schemaResolver, useForm } from "@mantine/form";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useNavigate } from "@tanstack/react-router";
import { useMemo } from "react";
import { api, unwrap } from "../../api/client.js";
import { ErrorState } from "../../ui/states.js";
import { datasourceChoicesQuery } from "../runs/runs-query.js";
import { EMPTY_RESTORE, type RestoreFields, restoreBody, restoreFieldsSchema } from "./restore-form.js";
import type { RunView } from "./run-query.js";

/**
 * Restores this backup into a datasource of the same engine. Overwriting asks for the target's name;
 * an encrypted backup asks for its age identity, which lives in this dialog only: it is sent with
 * the request and cleared when the dialog closes, never stored.
 */
export function RestoreButton({ run }: { run: RunView }) {
  const [opened, { open, close }] = useDisclosure(false);
  const navigate = useNavigate();
  const datasources = useQuery(datasourceChoicesQuery);
  const encrypted = run.artifact?.encrypted === true;
  const source = datasources.data?.find((d) => d.id === run.datasourceId);
  // Same engine as the backup's datasource; when that one was deleted, the server judges the engine.
  const targets = (datasources.data ?? []).filter((d) => !source || d.engine === source.engine);
  const nameOf = (id: string) => targets.find((d) => d.id === id)?.name;
  const schema = useMemo(() => restoreFieldsSchema(encrypted, nameOf), [encrypted, datasources.data]); // eslint-disable-line react-hooks/exhaustive-deps
  const form = useForm<RestoreFields>({ mode: "controlled", initialValues: EMPTY_RESTORE, validate: schemaResolver(schema, { sync: true }) });
  const restore = useMutation({
    mutationFn: (fields: RestoreFields) => unwrap(api.runs[":runId"].restore.$post({ param: { runId: run.runId }, json: restoreBody(fields, encrypted) })),
    onSuccess: ({ runId }) => {
      dismiss();
      void navigate({ to: `/runs/${encodeURIComponent(runId)}` });
    },
  });
  const dismiss = () => {
    form.reset();
    restore.reset();
    close();
  };
  const target = nameOf(form.values.targetDatasourceId);
  return (
    <>
      <Button variant="default" onClick={open}>
        Restore…
      </Button>
      <Modal opened={opened} onClose={dismiss} title="Restore this backup" centered size="lg">
        <form onSubmit={form.onSubmit((fields) => restore.mutate(fields))} noValidate>
          <Stack>
            <Text size="sm">
              The agent of the target datasource downloads this backup, checks its SHA-256, and restores it{source ? ` (${source.engine})` : ""}.
            </Text>
            {restore.isError && <ErrorState title="The restore did not start" error={restore.error} />}
            <Select
              label="Restore into"
              placeholder={targets.length === 0 ? "No datasource of this engine" : "Choose a datasource"}
              data={targets.map((d) => ({ value: d.id, label: d.id === run.datasourceId ? `${d.name} (the backup's own)` : d.name }))}
              searchable
              required
              {...form.getInputProps("targetDatasourceId")}
              value={form.values.targetDatasourceId || null}
              onChange={(v) => form.setFieldValue("targetDatasourceId", v ?? "")}
            />
            <Checkbox
              label="Overwrite what the target holds"
              description="Without this, a target that already has tables is refused and nothing is touched."
              {...form.getInputProps("overwrite", { type: "checkbox" })}
            />
            {form.values.overwrite && target !== undefined && (
              <TextInput
                label={`Type ${target} to confirm`}
                description={`Everything in ${target} is replaced by this backup.`}
                autoComplete="off"
                required
                {...form.getInputProps("confirm")}
              />
            )}
            {encrypted && (
              <PasswordInput
                label="Age identity"
                description="This backup is encrypted. The identity (AGE-SECRET-KEY-1…) is sent with this restore only and never stored."
                autoComplete="off"
                required
                {...form.getInputProps("identity")}
              />
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={dismiss}>
                Cancel
              </Button>
              <Button type="submit" color={form.values.overwrite ? "red" : undefined} loading={restore.isPending}>
                {form.values.overwrite && target ? `Overwrite ${target}` : "Restore"}
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </>
  );
}
