import { ActionIcon, Button, Group, Select, Stack, Text, TextInput } from "@mantine/core";
import type { UseFormReturnType } from "@mantine/form";
import { Role } from "@holdfast/shared";
import { IconPlus, IconTrash } from "@tabler/icons-react";
import type { SsoSettingsFields } from "./sso-settings-fields.js";

const MAX_RULES = 20;

/** The claim-to-role rules, in order: the first that matches gives the role. */
export function RoleRulesFields({ form }: { form: UseFormReturnType<SsoSettingsFields> }) {
  const rules = form.getValues().roleRules;
  return (
    <Stack gap="xs">
      <div>
        <Text fw={500} size="sm">
          Claim-to-role rules
        </Text>
        <Text size="xs" c="dimmed">
          Tried in order; the first rule whose claim equals the value, or is a list holding it, gives the role. A person no rule matches is refused.
        </Text>
      </div>
      {rules.map((rule, i) => (
        <Group key={form.key(`roleRules.${i}`)} gap="xs" align="flex-start" wrap="wrap">
          <TextInput label="Claim" placeholder="groups" w={130} key={form.key(`roleRules.${i}.claim`)} {...form.getInputProps(`roleRules.${i}.claim`)} />
          <TextInput label="contains" placeholder="backup-admins" style={{ flex: "1 1 140px" }} key={form.key(`roleRules.${i}.value`)} {...form.getInputProps(`roleRules.${i}.value`)} />
          <Select label="Role" data={Role.options} w={120} allowDeselect={false} key={form.key(`roleRules.${i}.role`)} {...form.getInputProps(`roleRules.${i}.role`)} />
          <ActionIcon
            variant="subtle"
            color="red"
            mt={26}
            size="lg"
            aria-label={`Remove rule ${i + 1}${rule.value ? ` (${rule.claim} contains ${rule.value})` : ""}`}
            disabled={rules.length === 1}
            onClick={() => form.removeListItem("roleRules", i)}
          >
            <IconTrash size={18} aria-hidden />
          </ActionIcon>
        </Group>
      ))}
      {form.errors.roleRules && (
        <Text size="xs" c="red">
          {form.errors.roleRules}
        </Text>
      )}
      <Group>
        <Button variant="light" size="xs" leftSection={<IconPlus size={14} aria-hidden />} disabled={rules.length >= MAX_RULES} onClick={() => form.insertListItem("roleRules", { claim: "groups", value: "", role: "viewer" })}>
          Add a rule
        </Button>
      </Group>
    </Stack>
  );
}
