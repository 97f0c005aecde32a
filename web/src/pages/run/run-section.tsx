import { Group, Paper, Title } from "@mantine/core";
import { type ReactNode, useId } from "react";

/** One part of the run page: a bordered region named by its heading (so a screen reader lists it), with an optional badge beside the title. */
export function RunSection({ title, aside, children }: { title: string; aside?: ReactNode; children: ReactNode }) {
  const id = useId();
  return (
    <Paper withBorder p="md" mb="lg" component="section" aria-labelledby={id}>
      <Group justify="space-between" mb="sm">
        <Title order={2} size="h4" id={id}>
          {title}
        </Title>
        {aside}
      </Group>
      {children}
    </Paper>
  );
}
