import { Alert, Button, Code, CopyButton, Group, PasswordInput, Radio, Stack, Switch, Text, TextInput, Tooltip } from "@mantine/core";
import { schemaResolver, useForm } from "@mantine/form";
import type { SsoSettingsBody, SsoSettingsView } from "@holdfast/shared";
import { IconCheck, IconCopy } from "@tabler/icons-react";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ApiError } from "@holdfast/shared";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { fieldErrorsFrom } from "../../ui/form-errors.js";
import { ErrorState } from "../../ui/states.js";
import { RoleRulesFields } from "./role-rules-fields.js";
import { fieldsFrom, SsoSettingsForm, type SsoSettingsFields } from "./sso-settings-fields.js";

const FIELDS = ["enabled", "displayName", "issuerUrl", "clientId", "clientSecret", "roleRules", "passwordSignIn", "breakGlassEmail"];

/** The provider, the client, the rules and who may still use a password; saved whole with PUT. */
export function SsoSettingsFormView({ view }: { view: SsoSettingsView }) {
  const queryClient = useQueryClient();
  const form = useForm<SsoSettingsFields>({
    initialValues: fieldsFrom(view),
    validate: schemaResolver(SsoSettingsForm, { sync: true }),
    validateInputOnBlur: true,
  });
  const save = useMutation({
    mutationFn: (body: SsoSettingsBody) => unwrap(api.sso.settings.$put({ json: body })),
    onSuccess: async (saved) => {
      queryClient.setQueryData(queryKeys.ssoSettings, saved);
      form.setValues(fieldsFrom(saved));
      form.resetDirty();
      await queryClient.invalidateQueries({ queryKey: queryKeys.sso, exact: true });
    },
    onError: (error) => {
      if (error instanceof ApiError) form.setErrors(fieldErrorsFrom(error, FIELDS));
    },
  });
  const values = form.getValues();
  return (
    <form onSubmit={form.onSubmit((fields) => save.mutate(SsoSettingsForm.parse(fields)))} noValidate>
      <Stack gap="lg" maw={720}>
        <Switch
          label="Offer single sign-on on the sign-in page"
          description={`"Sign in with ${values.displayName || "…"}" sends people to the provider; their account here is made at their first sign-in.`}
          {...form.getInputProps("enabled", { type: "checkbox" })}
        />
        <Stack gap={4}>
          <Text fw={500} size="sm">
            Redirect URI to register at the provider
          </Text>
          <Group gap="xs" wrap="wrap">
            <Code style={{ overflowWrap: "anywhere" }}>{view.redirectUri}</Code>
            <CopyButton value={view.redirectUri}>
              {({ copied, copy }) => (
                <Tooltip label={copied ? "Copied" : "Copy"} withArrow>
                  <Button variant="subtle" size="compact-sm" onClick={copy} aria-label="Copy the redirect URI" leftSection={copied ? <IconCheck size={14} aria-hidden /> : <IconCopy size={14} aria-hidden />}>
                    {copied ? "Copied" : "Copy"}
                  </Button>
                </Tooltip>
              )}
            </CopyButton>
          </Group>
        </Stack>
        <TextInput label="Provider name" description='Shown on the button: "Sign in with …"' placeholder="Company ID" required {...form.getInputProps("displayName")} />
        <TextInput label="Issuer URL" description="Its /.well-known/openid-configuration must answer over https." placeholder="https://login.example.com/realms/ops" required {...form.getInputProps("issuerUrl")} />
        <TextInput label="Client id" required autoComplete="off" {...form.getInputProps("clientId")} />
        <PasswordInput
          label="Client secret"
          description={view.clientSecretSet ? "A secret is stored (sealed, never shown). Leave empty to keep it; type one to replace it." : "Stored sealed under the master key; never shown again."}
          placeholder={view.clientSecretSet ? "•••••• stored" : undefined}
          autoComplete="new-password"
          required={!view.clientSecretSet}
          {...form.getInputProps("clientSecret")}
        />
        <RoleRulesFields form={form} />
        <Radio.Group label="Password sign-in" description="Turning it off leaves one admin a password, for when the provider is down." {...form.getInputProps("passwordSignIn")}>
          <Stack gap="xs" mt="xs">
            <Radio value="everyone" label="Everyone may still sign in with a password" />
            <Radio value="breakGlassOnly" label="Only the break-glass admin below" />
          </Stack>
        </Radio.Group>
        {values.passwordSignIn === "breakGlassOnly" && (
          <TextInput label="Break-glass admin" description="The e-mail of an enabled admin who keeps a password." placeholder="admin@example.com" type="email" required {...form.getInputProps("breakGlassEmail")} />
        )}
        {save.isError && <ErrorState title="The settings were not saved" error={save.error} />}
        {save.isSuccess && !form.isDirty() && (
          <Alert color="green" variant="light" role="status">
            Saved.
          </Alert>
        )}
        <Group>
          <Button type="submit" loading={save.isPending}>
            Save
          </Button>
        </Group>
      </Stack>
    </form>
  );
}
