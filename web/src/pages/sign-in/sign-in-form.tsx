import { Button, PasswordInput, Stack, TextInput } from "@mantine/core";
import { schemaResolver, useForm } from "@mantine/form";
import { useMutation } from "@tanstack/react-query";
import { ApiError } from "@holdfast/shared";
import { signIn, SignInFields } from "../../session/sign-in.js";
import type { SignedInUser } from "../../session/viewer.js";
import { fieldErrorsFrom } from "../../ui/form-errors.js";
import { ErrorState } from "../../ui/states.js";

/**
 * E-mail and password, checked with the schema the request is checked with; the server's refusal
 * (wrong password, locked account) is shown above the fields with what to do.
 */
export function SignInForm({ onSignedIn }: { onSignedIn: (session: { user: SignedInUser; csrfToken: string | undefined }) => void }) {
  const form = useForm<SignInFields>({
    mode: "uncontrolled",
    initialValues: { email: "", password: "" },
    validate: schemaResolver(SignInFields, { sync: true }),
    validateInputOnBlur: true,
  });
  const submit = useMutation({
    mutationFn: (values: SignInFields) => signIn(SignInFields.parse(values)),
    onSuccess: onSignedIn,
    onError: (error) => {
      if (error instanceof ApiError) form.setErrors(fieldErrorsFrom(error, ["email", "password"]));
    },
  });
  return (
    <form onSubmit={form.onSubmit((values) => submit.mutate(values))} noValidate>
      <Stack>
        {submit.isError && <ErrorState title="Not signed in" error={submit.error} />}
        <TextInput label="E-mail" type="email" autoComplete="username" required key={form.key("email")} {...form.getInputProps("email")} />
        <PasswordInput label="Password" autoComplete="current-password" required key={form.key("password")} {...form.getInputProps("password")} />
        <Button type="submit" loading={submit.isPending} fullWidth>
          Sign in
        </Button>
      </Stack>
    </form>
  );
}
