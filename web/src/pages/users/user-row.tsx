import { Role } from "@holdfast/shared";
import { Badge, Button, Group, Select, Stack, Table, Text } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { useViewer } from "../../session/viewer.js";
import { DateTime } from "../../ui/date-time.js";
import { ErrorState } from "../../ui/states.js";
import { ResetPasswordButton } from "./reset-password-dialog.js";
import type { UserItem } from "./users-query.js";
import classes from "./users.module.css";

/** One user: the role changes as it is chosen, disabling takes effect at once (sessions and tokens refused); the server refuses leaving no admin. */
export function UserRow({ user }: { user: UserItem }) {
  const queryClient = useQueryClient();
  const { user: me } = useViewer();
  const update = useMutation({
    mutationFn: (change: { role?: Role; disabled?: boolean }) => unwrap(api.users[":id"].$patch({ param: { id: user.id }, json: change })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.users }),
  });
  const disabled = user.disabledAt !== null;
  return (
    <Table.Tr>
      <Table.Td className={classes.email}>
        <Stack gap={0}>
          <Text fw={600} className={classes.wrap}>
            {user.email}
          </Text>
          {me?.id === user.id && (
            <Text size="xs" c="dimmed">
              you
            </Text>
          )}
        </Stack>
      </Table.Td>
      <Table.Td>
        <Select
          aria-label={`Role of ${user.email}`}
          data={Role.options}
          value={user.role}
          allowDeselect={false}
          disabled={update.isPending}
          onChange={(role) => {
            const parsed = Role.safeParse(role);
            if (parsed.success && parsed.data !== user.role) update.mutate({ role: parsed.data });
          }}
          w={130}
        />
      </Table.Td>
      <Table.Td>
        {disabled ? (
          <Badge color="gray" variant="light">
            disabled
          </Badge>
        ) : (
          <Badge color="green" variant="light">
            active
          </Badge>
        )}
      </Table.Td>
      <Table.Td>
        <DateTime value={user.createdAt} withZone={false} />
      </Table.Td>
      <Table.Td>
        <Group gap="xs" wrap="nowrap">
          <Button variant="subtle" size="compact-sm" color={disabled ? "green" : "orange"} loading={update.isPending} onClick={() => update.mutate({ disabled: !disabled })} aria-label={`${disabled ? "Enable" : "Disable"} ${user.email}`}>
            {disabled ? "Enable" : "Disable"}
          </Button>
          <ResetPasswordButton user={user} />
        </Group>
        {update.isError && <ErrorState title={`${user.email} was not changed`} error={update.error} />}
      </Table.Td>
    </Table.Tr>
  );
}
