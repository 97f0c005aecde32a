import { Codec, CODEC_LEVELS, type Engine, isWholeServer, StartBackupBody } from "@holdfast/shared";
import { Alert, Anchor, Button, Checkbox, Fieldset, Group, Input, Modal, MultiSelect, NumberInput, SegmentedControl, Select, SimpleGrid, Stack, TagsInput, Text, TextInput } from "@mantine/core";
import { schemaResolver, useForm } from "@mantine/form";
import { useDisclosure, useMediaQuery } from "@mantine/hooks";
import { IconCircleCheck } from "@tabler/icons-react";
import { useEffect, useRef } from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { ApiError } from "@holdfast/shared";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { fieldErrorsFrom } from "../../ui/form-errors.js";
import { ErrorState } from "../../ui/states.js";
import { BlackoutRefusal, blackoutRefusalOf } from "../../ui/blackout-refusal.js";
import { destinationsQuery } from "../destinations/destinations-query.js";
import { backupOptionsBody, type BackupInputs, blankBackupInputs, engineTakes, formatsOf } from "./backup-options.js";
import classes from "./datasources.module.css";

const checkBody = schemaResolver(StartBackupBody, { sync: true });
const bodyOf = (engine: Engine, v: BackupInputs, connection: unknown) => ({ destinationIds: v.destinationIds, options: backupOptionsBody(engine, v.options, connection) });

/** An error on one pattern of a list (`options.tables.include.2`) shown on the list's field. */
function onListFields(errors: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, message] of Object.entries(errors)) out[path.replace(/\.\d+$/, "")] ??= String(message);
  return out;
}

interface BackupTarget {
  id: string;
  name: string;
  engine: Engine;
  /** As the API shows it: its `database: "*"` makes it a whole server, with other options. */
  connection?: unknown;
}

/** "Back up now" with the options this datasource takes, and only those (the shared rule says which). */
export function BackupNowButton({ datasource }: { datasource: BackupTarget }) {
  const [opened, { open, close }] = useDisclosure(false);
  const phone = useMediaQuery("(max-width: 36em)");
  return (
    <>
      <Button variant="default" onClick={open}>
        Back up now
      </Button>
      <Modal opened={opened} onClose={close} title={`Back up ${datasource.name} now`} size="lg" fullScreen={phone === true}>
        {opened && <BackupNowForm datasource={datasource} onClose={close} />}
      </Modal>
    </>
  );
}

function BackupNowForm({ datasource, onClose }: { datasource: BackupTarget; onClose: () => void }) {
  const { engine, connection } = datasource;
  const whole = isWholeServer(connection);
  const takes = (probe: Parameters<typeof engineTakes>[1]) => engineTakes(engine, probe, connection);
  const destinations = useQuery(destinationsQuery);
  const queryClient = useQueryClient();
  const form = useForm<BackupInputs>({
    initialValues: blankBackupInputs(engine, [], connection),
    validate: (values) => onListFields(checkBody(bodyOf(engine, values, connection))),
    validateInputOnChange: true,
  });
  // With one destination there is nothing to choose: it is filled in (the first-run demo has one).
  const only = destinations.data?.length === 1 ? destinations.data[0]!.id : undefined;
  const filled = useRef(false);
  useEffect(() => {
    if (!only || filled.current) return;
    filled.current = true;
    if (form.getValues().destinationIds.length === 0) form.setFieldValue("destinationIds", [only]);
  }, [only, form]);
  const start = useMutation({
    mutationFn: ({ values, force }: { values: BackupInputs; force?: boolean }) =>
      unwrap(api.datasources[":id"].backups.$post({ param: { id: datasource.id }, json: { ...StartBackupBody.parse(bodyOf(engine, values, connection)), ...(force ? { force: true } : {}) } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: queryKeys.runs }),
    onError: (error) => {
      if (error instanceof ApiError) form.setErrors(onListFields(fieldErrorsFrom(error, error.fieldIssues.map((i) => i.path))));
    },
  });
  const { options } = form.values;
  const levels = CODEC_LEVELS[options.compression.codec];
  const formats = formatsOf(engine, connection);
  if (start.data)
    return (
      <Stack>
        <Alert color="green" variant="light" classNames={{ title: classes.outcomeTitle }} title="Backup started" icon={<IconCircleCheck aria-hidden />}>
          <Text size="sm">
            Run <code>{start.data.runId}</code> is with the agent.{" "}
            <Anchor renderRoot={(props) => <Link {...props} to="/runs/$runId" params={{ runId: start.data.runId }} />}>Follow its progress</Anchor>.
          </Text>
        </Alert>
        <Group justify="flex-end">
          <Button onClick={onClose}>Close</Button>
        </Group>
      </Stack>
    );
  return (
    <form onSubmit={form.onSubmit((values) => start.mutate({ values }))} noValidate aria-label="Backup options">
      <Stack>
        <MultiSelect
          label="Destinations"
          withAsterisk
          data={(destinations.data ?? []).map((d) => ({ value: d.id, label: d.name }))}
          placeholder={destinations.data?.length === 0 ? "No destinations: add one first" : "Choose where to deliver"}
          {...form.getInputProps("destinationIds")}
          data-autofocus
        />
        <Fieldset legend="Options">
          <Stack gap="sm">
            {formats.length > 1 && <Select label="Format" data={[...formats]} allowDeselect={false} {...form.getInputProps("options.format")} />}
            <Stack gap={6}>
              <Input.Label id="codec-label">
                Compression
              </Input.Label>
              <SegmentedControl aria-labelledby="codec-label" data={Codec.options} {...form.getInputProps("options.compression.codec")} />
            </Stack>
            {levels && <NumberInput label="Level" description={`${levels.min} to ${levels.max}; empty for ${levels.default}.`} min={levels.min} max={levels.max} allowDecimal={false} placeholder={String(levels.default)} {...form.getInputProps("options.compression.level")} />}
            {whole && (
              <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
                <TagsInput label="Only these databases" description="Names or globs (app_*); empty: all of them." {...form.getInputProps("options.databases.include")} />
                <TagsInput label="Not these databases" description="Names or globs." {...form.getInputProps("options.databases.exclude")} />
              </SimpleGrid>
            )}
            {takes({ tables: {} }) && (
              <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
                <TagsInput label="Only these tables" {...form.getInputProps("options.tables.include")} />
                <TagsInput label="Not these tables" {...form.getInputProps("options.tables.exclude")} />
              </SimpleGrid>
            )}
            {takes({ schemas: {} }) && (
              <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
                <TagsInput label="Only these schemas" {...form.getInputProps("options.schemas.include")} />
                <TagsInput label="Not these schemas" {...form.getInputProps("options.schemas.exclude")} />
              </SimpleGrid>
            )}
            {takes({ schemaOnly: true }) && (
              <Stack gap={6}>
                <Input.Label id="content-label">
                  What to dump
                </Input.Label>
                <SegmentedControl aria-labelledby="content-label" data={[{ value: "all", label: "Schema and data" }, { value: "schemaOnly", label: "Schema only" }, { value: "dataOnly", label: "Data only" }]} {...form.getInputProps("options.content")} />
              </Stack>
            )}
            {whole ? (
              <Checkbox label="Include the server's roles (MariaDB: its users)" description="Applied at restore only when asked." {...form.getInputProps("options.globals", { type: "checkbox" })} />
            ) : (
              takes({ globals: true }) && (
                <Checkbox label="Include roles and tablespaces (cluster globals)" description="Plain format only; applied at restore only when asked." disabled={options.format !== "plain"} {...form.getInputProps("options.globals", { type: "checkbox" })} />
              )
            )}
            <TextInput label="Encrypt to (age recipient)" description="The agent encrypts with it; only the matching identity can restore." placeholder="age1…" spellCheck={false} {...form.getInputProps("options.encryption.recipient")} />
            <NumberInput label="Split into parts of at most (MiB)" description="Empty: delivered whole." min={1} allowDecimal={false} {...form.getInputProps("options.maxFileSizeMb")} />
            {takes({ verify: true }) && <Checkbox label="Restore drill afterwards" description="The agent restores the backup into a scratch target and compares." {...form.getInputProps("options.verify", { type: "checkbox" })} />}
            {typeof form.errors.options === "string" && (
              <Text c="red" size="sm" role="alert">
                {form.errors.options}
              </Text>
            )}
          </Stack>
        </Fieldset>
        {start.isError &&
          (blackoutRefusalOf(start.error) ? (
            <BlackoutRefusal error={start.error} pending={start.isPending} onForce={() => start.mutate({ values: start.variables!.values, force: true })} />
          ) : (
            <ErrorState title="The backup did not start" error={start.error} />
          ))}
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" loading={start.isPending}>
            Start backup
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
