import { Center, Paper, Stack, Text, Title } from "@mantine/core";
import { IconShieldLock } from "@tabler/icons-react";
import { type ReactNode, useEffect } from "react";

/** A page outside the shell (signing in, the first admin's setup): one card in the middle of the window. */
export function CardPage({ title, tabTitle, subtitle, children }: { title: string; tabTitle: string; subtitle: string; children: ReactNode }) {
  useEffect(() => {
    document.title = `${tabTitle} · Holdfast`;
  }, [tabTitle]);
  return (
    <Center mih="100vh" p="md" component="main" id="main">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={420} radius="md">
        <Stack>
          <Stack gap={4} align="center" ta="center">
            <IconShieldLock size={36} stroke={1.6} aria-hidden />
            <Title order={1} size="h2">
              {title}
            </Title>
            <Text size="sm" c="dimmed">
              {subtitle}
            </Text>
          </Stack>
          {children}
        </Stack>
      </Paper>
    </Center>
  );
}
