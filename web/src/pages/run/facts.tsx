import { SimpleGrid, Text } from "@mantine/core";
import type { ReactNode } from "react";
import classes from "./run.module.css";

/** Label/value pairs as a description list, in columns that fold on a narrow window. */
export function Facts({ items }: { items: [label: string, value: ReactNode][] }) {
  return (
    <SimpleGrid cols={{ base: 1, xs: 2, md: 3 }} spacing="md" verticalSpacing="sm" component="dl" m={0}>
      {items.map(([label, value]) => (
        <div key={label} className={classes.fact}>
          <Text component="dt" size="xs" c="dimmed" tt="uppercase" fw={600}>
            {label}
          </Text>
          <Text component="dd" m={0} className={classes.wrap}>
            {value}
          </Text>
        </div>
      ))}
    </SimpleGrid>
  );
}
