import { Password, SetPasswordBody } from "@holdfast/shared";
import { Button, Group, Modal, PasswordInput, Stack, Text } from "@mantine/core";
import { schemaResolver, useForm } from "@mantine/form";
import { useDisclosure } from "@mantine/hooks";
import { useMutation } from "@tanstack/react-query";
import { z } from "zod";
import { ApiError } from "@holdfast/shared";
import { api, unwrap } from "../../api/client.js";
import { fieldErrorsFrom } from "../../ui/form-errors.js";
import { CopyableValue, ShownOnceNotice } from "../../ui/shown-once.js";
import { ErrorState } from "../../ui/states.js";
import type { UserItem } from "./users-query.js";
import { FormActions } from "../../ui/form-actions.js";

/** The API's field; empty means "generate one". */
const PasswordFields = SetPasswordBody.extend({ password: z.union([z.literal(""), Password]) });
type PasswordFields = z.input<typeof PasswordFields>;

/** Sets a user's password (typed, or generated and shown once); their sessions end, as the server does on any password change. */
export function ResetPasswordButton({ user }: { user: UserItem }) {
  const [opened, { open, close }] = useDisclosure(false);
  const form = useForm<PasswordFields>({ mode: "uncontrolled", initialValues: { password: "" }, validate: schemaResolver(PasswordFields, { sync: true }) });
  const reset = useMutation({
    mutationFn: (values: PasswordFields) => {
      const { password } = PasswordFields.parse(values);
      return unwrap(api.users[":id"].password.$post({ param: { id: user.id }, json: password ? { password } : {} }));
    },
    onSuccess: (answer) => {
      if (!("password" in answer)) dismiss();
    },
    onError: (error) => {
      if (error instanceof ApiError) form.setErrors(fieldErrorsFrom(error, ["password"]));
    },
  });
  const dismiss = () => {
    reset.reset();
    form.reset();
    close();
  };
  const generated = reset.data && "password" in reset.data ? reset.data.password : undefined;
  return (
    <>
      <Button variant="default" size="compact-sm" onClick={open} aria-label={`Reset password of ${user.email}`}>
        Reset password
      </Button>
      <Modal opened={opened} onClose={dismiss} title={`New password for ${user.email}`} centered>
        {generated ? (
          <Stack>
            <ShownOnceNotice what="password" />
            <CopyableValue label={`Password of ${user.email}`} value={generated} />
            <Group justify="flex-end">
              <Button onClick={dismiss}>Done</Button>
            </Group>
          </Stack>
        ) : (
          <form onSubmit={form.onSubmit((values) => reset.mutate(values))} noValidate>
            <Stack>
              <Text size="sm">The old password stops working at once.</Text>
              {reset.isError && <ErrorState title="The password was not changed" error={reset.error} />}
              <PasswordInput
                label="New password"
                description="At least 12 characters. Leave empty to have one generated and shown once."
                autoComplete="new-password"
                data-autofocus
                key={form.key("password")}
                {...form.getInputProps("password")}
              />
              <FormActions onCancel={dismiss} submitLabel="Set password" pending={reset.isPending} />
            </Stack>
          </form>
        )}
      </Modal>
    </>
  );
}
