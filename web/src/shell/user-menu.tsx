import { Button, Menu, Text } from "@mantine/core";
import { IconLogout, IconUserCircle } from "@tabler/icons-react";
import { useMutation } from "@tanstack/react-query";
import { signOut } from "../session/sign-out.js";
import { useViewer } from "../session/viewer.js";
import { ErrorState } from "../ui/states.js";

/** Who is signed in, with which role, and signing out. */
export function UserMenu() {
  const { user } = useViewer();
  const leave = useMutation({ mutationFn: signOut });
  if (!user) return null;
  return (
    // No focus placeholder: Mantine's is a focusable "presentation" div that axe finds inside the menu.
    <Menu position="bottom-end" withinPortal width={260} withInitialFocusPlaceholder={false}>
      <Menu.Target>
        <Button variant="default" px="xs" leftSection={<IconUserCircle size={18} stroke={1.6} aria-hidden />} aria-label={`Account: ${user.email} (${user.role})`}>
          <Text span size="sm" visibleFrom="md" maw={200} truncate>
            {user.email}
          </Text>
        </Button>
      </Menu.Target>
      <Menu.Dropdown>
        <Menu.Label>
          Signed in as {user.email}, {user.role}
        </Menu.Label>
        {leave.isError && <ErrorState title="Not signed out" error={leave.error} />}
        <Menu.Item leftSection={<IconLogout size={16} aria-hidden />} onClick={() => leave.mutate()} closeMenuOnClick={false}>
          Sign out
        </Menu.Item>
      </Menu.Dropdown>
    </Menu>
  );
}
