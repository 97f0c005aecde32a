import { CreateEnrollmentTokenBody } from "@holdfast/shared";
import { Button, Group, Modal, Select, Stack, TextInput } from "@mantine/core";
import { schemaResolver, useForm } from "@mantine/form";
import { useDisclosure } from "@mantine/hooks";
import { IconPlus } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { z } from "zod";
import { ApiError } from "@holdfast/shared";
import { queryKeys } from "../../api/query-keys.js";
import { fieldErrorsFrom } from "../../ui/form-errors.js";
import { ErrorState } from "../../ui/states.js";
import { EnrollCommands } from "./enroll-commands.js";
import { issueEnrollmentToken } from "./issue-enrollment-token.js";
import { FormActions } from "../../ui/form-actions.js";

/** The TTLs offered; the API takes any up to 24 h (`90s`, `15m`, `2h`). */
export const TTL_CHOICES = [
  { value: "15m", label: "15 minutes" },
  { value: "1h", label: "1 hour" },
  { value: "4h", label: "4 hours" },
  { value: "24h", label: "24 hours" },
];

/** The API's fields; an empty name is no name. */
const TokenFields = CreateEnrollmentTokenBody.extend({ name: z.union([z.literal(""), CreateEnrollmentTokenBody.shape.name.unwrap()]) });
type TokenFields = { ttl: string; name: string };

/** "New enrollment token": how long it works and a name; then the commands to run on the host, shown once. */
export function CreateEnrollmentTokenButton() {
  const [opened, { open, close }] = useDisclosure(false);
  const queryClient = useQueryClient();
  const form = useForm<TokenFields>({
    mode: "uncontrolled",
    initialValues: { ttl: "15m", name: "" },
    validate: schemaResolver(TokenFields, { sync: true }),
    validateInputOnBlur: true,
  });
  const issue = useMutation({
    mutationFn: ({ ttl, name }: TokenFields) => issueEnrollmentToken({ ttl, ...(name.trim() ? { name } : {}) }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.enrollmentTokens }),
    onError: (error) => {
      if (error instanceof ApiError) form.setErrors(fieldErrorsFrom(error, ["ttl", "name"]));
    },
  });
  const dismiss = () => {
    issue.reset();
    form.reset();
    close();
  };
  return (
    <>
      <Button leftSection={<IconPlus size={18} aria-hidden />} onClick={open}>
        New enrollment token
      </Button>
      <Modal opened={opened} onClose={dismiss} title={issue.data ? "Enroll a host with this token" : "New enrollment token"} centered size="lg">
        {issue.data ? (
          <Stack>
            <EnrollCommands issued={issue.data} />
            <Group justify="flex-end">
              <Button onClick={dismiss}>Done</Button>
            </Group>
          </Stack>
        ) : (
          <form onSubmit={form.onSubmit((values) => issue.mutate(values))} noValidate>
            <Stack>
              {issue.isError && <ErrorState title="The token was not created" error={issue.error} />}
              <TextInput label="Name" description="To recognise it in the pending list, such as db-7 in Frankfurt (optional)" data-autofocus key={form.key("name")} {...form.getInputProps("name")} />
              <Select label="Valid for" data={TTL_CHOICES} allowDeselect={false} required key={form.key("ttl")} {...form.getInputProps("ttl")} />
              <FormActions onCancel={dismiss} submitLabel="Create token" pending={issue.isPending} />
            </Stack>
          </form>
        )}
      </Modal>
    </>
  );
}
