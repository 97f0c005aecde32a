import { SetupBody } from "@holdfast/shared";
import { Button, PasswordInput, Stack, TextInput } from "@mantine/core";
import { schemaResolver, useForm } from "@mantine/form";
import { useMutation } from "@tanstack/react-query";
import { z } from "zod";
import { ApiError } from "@holdfast/shared";
import { unwrap } from "../../api/client.js";
import { openApi } from "../../session/open-api.js";
import { signIn } from "../../session/sign-in.js";
import type { SignedInUser } from "../../session/viewer.js";
import { fieldErrorsFrom } from "../../ui/form-errors.js";
import { ErrorState } from "../../ui/states.js";

/** The setup's fields as the API checks them, the token aside (it comes from the link), and the password typed twice. */
const SetupFields = SetupBody.omit({ token: true })
  .extend({ confirm: z.string() })
  .refine((f) => f.password === f.confirm, { message: "must be the same password", path: ["confirm"] });
type SetupFields = z.input<typeof SetupFields>;

/**
 * The first admin's e-mail and password. Once created, the admin is signed in with them (setup itself
 * opens no session), so the next page is the dashboard, not another form.
 */
export function SetupForm({ token, onSignedIn }: { token: string; onSignedIn: (session: { user: SignedInUser; csrfToken: string | undefined }) => void }) {
  const form = useForm<SetupFields>({
    mode: "uncontrolled",
    initialValues: { email: "", password: "", confirm: "" },
    validate: schemaResolver(SetupFields, { sync: true }),
    validateInputOnBlur: true,
  });
  const setup = useMutation({
    mutationFn: async (values: SetupFields) => {
      const { email, password } = SetupFields.parse(values);
      await unwrap(openApi.setup.$post({ json: { token, email, password } }));
      return signIn({ email, password });
    },
    onSuccess: onSignedIn,
    onError: (error) => {
      if (error instanceof ApiError) form.setErrors(fieldErrorsFrom(error, ["email", "password"]));
    },
  });
  return (
    <form onSubmit={form.onSubmit((values) => setup.mutate(values))} noValidate>
      <Stack>
        {setup.isError && <ErrorState title="The admin was not created" error={setup.error} />}
        <TextInput label="E-mail" type="email" autoComplete="username" required key={form.key("email")} {...form.getInputProps("email")} />
        <PasswordInput
          label="Password"
          description="At least 12 characters"
          autoComplete="new-password"
          required
          key={form.key("password")}
          {...form.getInputProps("password")}
        />
        <PasswordInput label="Password again" autoComplete="new-password" required key={form.key("confirm")} {...form.getInputProps("confirm")} />
        <Button type="submit" loading={setup.isPending} fullWidth>
          Create the admin and sign in
        </Button>
      </Stack>
    </form>
  );
}
