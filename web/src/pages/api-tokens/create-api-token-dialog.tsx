import { CreateApiTokenBody, Role, roleAtLeast } from "@holdfast/shared";
import { Button, Group, Modal, Select, Stack, TextInput } from "@mantine/core";
import { schemaResolver, useForm } from "@mantine/form";
import { useDisclosure } from "@mantine/hooks";
import { IconPlus } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { z } from "zod";
import { ApiError } from "@holdfast/shared";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { useViewer } from "../../session/viewer.js";
import { fieldErrorsFrom } from "../../ui/form-errors.js";
import { CopyableValue, ShownOnceNotice } from "../../ui/shown-once.js";
import { ErrorState } from "../../ui/states.js";
import { FormActions } from "../../ui/form-actions.js";

/** The API's fields for your own token, the role chosen. */
const TokenFields = CreateApiTokenBody.omit({ userId: true }).required({ role: true });
type TokenFields = z.input<typeof TokenFields>;

/** "New token": a name and a role up to yours; the token is shown once, with a copy button. */
export function CreateApiTokenButton() {
  const [opened, { open, close }] = useDisclosure(false);
  const { user } = useViewer();
  const queryClient = useQueryClient();
  const roles = Role.options.filter((r) => !user || roleAtLeast(user.role, r));
  const form = useForm<TokenFields>({
    mode: "uncontrolled",
    initialValues: { name: "", role: user?.role ?? "viewer" },
    validate: schemaResolver(TokenFields, { sync: true }),
    validateInputOnBlur: true,
  });
  const create = useMutation({
    mutationFn: (values: TokenFields) => unwrap(api["api-tokens"].$post({ json: TokenFields.parse(values) })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.apiTokens }),
    onError: (error) => {
      if (error instanceof ApiError) form.setErrors(fieldErrorsFrom(error, ["name", "role"]));
    },
  });
  const dismiss = () => {
    create.reset();
    form.reset();
    close();
  };
  return (
    <>
      <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={open}>
        New token
      </Button>
      <Modal opened={opened} onClose={dismiss} title={create.data ? `API token ${create.data.name}` : "New API token"} centered size="lg">
        {create.data ? (
          <Stack>
            <ShownOnceNotice what="token" />
            <CopyableValue label="Token" value={create.data.token} />
            <Group justify="flex-end">
              <Button onClick={dismiss}>Done</Button>
            </Group>
          </Stack>
        ) : (
          <form onSubmit={form.onSubmit((values) => create.mutate(values))} noValidate>
            <Stack>
              {create.isError && <ErrorState title="The token was not created" error={create.error} />}
              <TextInput label="Name" description="What uses it: ci, grafana, laptop" required data-autofocus key={form.key("name")} {...form.getInputProps("name")} />
              <Select label="Role" description="The most it may do; at most your own role" data={roles} allowDeselect={false} required key={form.key("role")} {...form.getInputProps("role")} />
              <FormActions onCancel={dismiss} submitLabel="Create token" pending={create.isPending} />
            </Stack>
          </form>
        )}
      </Modal>
    </>
  );
}
