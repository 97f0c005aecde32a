import { Text } from "@mantine/core";
import { IconLock } from "@tabler/icons-react";
import { EmptyState } from "./states.js";

/** What a page shows to a role that may not read it (someone who followed a link or typed the address). */
export function NotForYourRole({ what, role }: { what: string; role: string }) {
  return (
    <EmptyState title={`Only ${role}s see ${what}`} icon={<IconLock size={32} stroke={1.4} aria-hidden />}>
      <Text c="dimmed" maw={520}>
        Your account may not read this page. Ask an admin if you need it.
      </Text>
    </EmptyState>
  );
}
