import { CreateUserBody, Password, Role } from "@holdfast/shared";
import { Button, Group, Modal, PasswordInput, Select, Stack, TextInput } from "@mantine/core";
import { schemaResolver, useForm } from "@mantine/form";
import { useDisclosure } from "@mantine/hooks";
import { IconUserPlus } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { z } from "zod";
import { ApiError } from "@holdfast/shared";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { fieldErrorsFrom } from "../../ui/form-errors.js";
import { CopyableValue, ShownOnceNotice } from "../../ui/shown-once.js";
import { ErrorState } from "../../ui/states.js";
import { FormActions } from "../../ui/form-actions.js";

/** The API's fields; an empty password means "generate one" (the API's absent password). */
const UserFields = CreateUserBody.extend({ password: z.union([z.literal(""), Password]) });
type UserFields = z.input<typeof UserFields>;

/** "New user": e-mail, role, and an initial password typed or generated (then shown once, to hand over). */
export function CreateUserButton() {
  const [opened, { open, close }] = useDisclosure(false);
  const queryClient = useQueryClient();
  const form = useForm<UserFields>({
    mode: "uncontrolled",
    initialValues: { email: "", role: "viewer", password: "" },
    validate: schemaResolver(UserFields, { sync: true }),
    validateInputOnBlur: true,
  });
  const create = useMutation({
    mutationFn: (values: UserFields) => {
      const { password, ...rest } = UserFields.parse(values);
      return unwrap(api.users.$post({ json: { ...rest, ...(password ? { password } : {}) } }));
    },
    onSuccess: async (created) => {
      await queryClient.invalidateQueries({ queryKey: queryKeys.users });
      if (!("password" in created)) dismiss();
    },
    onError: (error) => {
      if (error instanceof ApiError) form.setErrors(fieldErrorsFrom(error, ["email", "role", "password"]));
    },
  });
  const dismiss = () => {
    create.reset();
    form.reset();
    close();
  };
  const generated = create.data && "password" in create.data ? create.data : undefined;
  return (
    <>
      <Button leftSection={<IconUserPlus size={18} aria-hidden />} onClick={open}>
        New user
      </Button>
      <Modal opened={opened} onClose={dismiss} title="New user" centered>
        {generated ? (
          <Stack>
            <ShownOnceNotice what="password" />
            <CopyableValue label={`Password of ${generated.email}`} value={generated.password ?? ""} />
            <Group justify="flex-end">
              <Button onClick={dismiss}>Done</Button>
            </Group>
          </Stack>
        ) : (
          <form onSubmit={form.onSubmit((values) => create.mutate(values))} noValidate>
            <Stack>
              {create.isError && <ErrorState title="The user was not created" error={create.error} />}
              <TextInput label="E-mail" type="email" required data-autofocus key={form.key("email")} {...form.getInputProps("email")} />
              <Select label="Role" data={Role.options} allowDeselect={false} required key={form.key("role")} {...form.getInputProps("role")} />
              <PasswordInput
                label="Initial password"
                description="At least 12 characters. Leave empty to have one generated and shown once."
                autoComplete="new-password"
                key={form.key("password")}
                {...form.getInputProps("password")}
              />
              <FormActions onCancel={dismiss} submitLabel="Create user" pending={create.isPending} />
            </Stack>
          </form>
        )}
      </Modal>
    </>
  );
}
