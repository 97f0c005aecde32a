import { Button, Checkbox, Group, Modal, MultiSelect, PasswordInput, Select, SimpleGrid, Stack, Text, TextInput } from "@mantine/core";
import { isWholeServer, SERVER_FORMAT } from "@holdfast/shared";
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

/** Renames are offered for every database of the backup up to this many; beyond, for the ones chosen. */
const RENAME_ALL_UP_TO = 12;

/**
 * Restores this backup into a datasource of the same engine. Overwriting asks for the target's name;
 * an encrypted backup asks for its age identity, which lives in this dialog only: it is sent with
 * the request and cleared when the dialog closes, never stored. A whole server's backup goes to a
 * whole-server datasource (database "*"), with the databases to restore, their new names and
 * whether to apply the roles.
 */
export function RestoreButton({ run }: { run: RunView }) {
  const [opened, { open, close }] = useDisclosure(false);
  const navigate = useNavigate();
  const datasources = useQuery(datasourceChoicesQuery);
  const encrypted = run.artifact?.encrypted === true;
  const source = datasources.data?.find((d) => d.id === run.datasourceId);
  const server = run.artifact?.format === SERVER_FORMAT;
  const inBackup = run.artifact?.databases ?? [];
  // Same engine as the backup's datasource (when that one was deleted, the server judges the engine), and a whole server for a whole server's backup only.
  const targets = (datasources.data ?? []).filter((d) => (!source || d.engine === source.engine) && isWholeServer(d.connection) === server);
  const nameOf = (id: string) => targets.find((d) => d.id === id)?.name;
  const schema = useMemo(() => restoreFieldsSchema(encrypted, nameOf), [encrypted, datasources.data]); // eslint-disable-line react-hooks/exhaustive-deps
  const form = useForm<RestoreFields>({ mode: "controlled", initialValues: EMPTY_RESTORE, validate: schemaResolver(schema, { sync: true }) });
  const restore = useMutation({
    mutationFn: (fields: RestoreFields) => unwrap(api.runs[":runId"].restore.$post({ param: { runId: run.runId }, json: restoreBody(fields, encrypted, server) })),
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
  const chosen = form.values.databases;
  const renamable = chosen.length > 0 ? chosen : inBackup.length <= RENAME_ALL_UP_TO ? inBackup : [];
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
              placeholder={targets.length === 0 ? (server ? 'No whole-server datasource (database "*") of this engine' : "No datasource of this engine") : "Choose a datasource"}
              data={targets.map((d) => ({ value: d.id, label: d.id === run.datasourceId ? `${d.name} (the backup's own)` : d.name }))}
              searchable
              required
              {...form.getInputProps("targetDatasourceId")}
              value={form.values.targetDatasourceId || null}
              onChange={(v) => form.setFieldValue("targetDatasourceId", v ?? "")}
            />
            {server && (
              <>
                <MultiSelect
                  label="Databases"
                  description="Restore only these; none chosen: all of them. A database missing on the target server is created."
                  placeholder={chosen.length === 0 ? `All ${inBackup.length} of the backup` : undefined}
                  data={inBackup}
                  searchable
                  {...form.getInputProps("databases")}
                />
                {renamable.length > 0 ? (
                  <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
                    {renamable.map((name) => (
                      <TextInput
                        key={name}
                        label={`Restore ${name} as`}
                        placeholder={name}
                        autoComplete="off"
                        value={form.values.renames[name] ?? ""}
                        onChange={(e) => form.setFieldValue("renames", { ...form.values.renames, [name]: e.currentTarget.value })}
                        error={form.errors[`renames.${name}`]}
                      />
                    ))}
                  </SimpleGrid>
                ) : (
                  <Text size="sm" c="dimmed">
                    Choose databases to restore some of them under other names.
                  </Text>
                )}
                <Checkbox label="Apply the roles (MariaDB: the users) the backup carries" description="Roles that exist already are left as they are, with a warning." {...form.getInputProps("globals", { type: "checkbox" })} />
              </>
            )}
            <Checkbox
              label="Overwrite what the target holds"
              description={server ? "Without this, a target database that already has tables is refused and nothing is touched." : "Without this, a target that already has tables is refused and nothing is touched."}
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
