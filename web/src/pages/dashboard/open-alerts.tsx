import { Anchor, Badge, Group, Paper, Stack, Text } from "@mantine/core";
import { IconCircleCheck } from "@tabler/icons-react";
import { Link } from "@tanstack/react-router";
import { DateTime } from "../../ui/date-time.js";
import { EmptyState } from "../../ui/states.js";
import type { OpenAlert } from "./dashboard-queries.js";
import classes from "./dashboard.module.css";

const SEVERITY_COLOR: Record<OpenAlert["severity"], string> = { critical: "red", warning: "yellow", info: "blue" };

/** The object an alert is about, linked to its page (destinations and runs to theirs). */
function Subject({ subject }: { subject: NonNullable<OpenAlert["subject"]> }) {
  const name = subject.name ?? subject.id;
  const anchor = { fw: 600, className: classes.name } as const;
  switch (subject.type) {
    case "datasource":
      return <Anchor renderRoot={(props) => <Link {...props} to="/datasources/$id" params={{ id: subject.id }} />} {...anchor}>{name}</Anchor>;
    case "agent":
      return <Anchor renderRoot={(props) => <Link {...props} to="/agents/$agentId" params={{ agentId: subject.id }} />} {...anchor}>{name}</Anchor>;
    case "destination":
      return <Anchor renderRoot={(props) => <Link {...props} to="/destinations" />} {...anchor}>{name}</Anchor>;
    case "run":
      return <Anchor renderRoot={(props) => <Link {...props} to="/runs/$runId" params={{ runId: subject.id }} />} {...anchor}>{name}</Anchor>;
  }
}

/** The problems open now, worst first: what, about which object, since when. None is good news. */
export function OpenAlerts({ alerts }: { alerts: OpenAlert[] }) {
  if (alerts.length === 0)
    return (
      <EmptyState title="No open alerts" icon={<IconCircleCheck size={32} stroke={1.4} color="var(--mantine-color-green-7)" aria-hidden />}>
        <Text c="dimmed" maw={520}>
          Nothing needs your attention. An agent offline, an unhealthy datasource, a missed or failed backup or an unreachable destination shows here until it recovers.
        </Text>
      </EmptyState>
    );
  return (
    <Stack component="ul" gap="xs" className={classes.list} aria-label="Open alerts">
      {alerts.map((a) => (
        <Paper key={a.conditionKey} withBorder p="sm" radius="md" component="li">
          <Group justify="space-between" wrap="wrap" gap="xs">
            <Group gap="xs" miw={0}>
              <Badge color={SEVERITY_COLOR[a.severity]} variant="filled" autoContrast className={classes.badge}>
                {a.severity}
              </Badge>
              <Text fw={600}>{a.label}</Text>
              {a.subject && <Subject subject={a.subject} />}
            </Group>
            <Text size="sm" c="dimmed">
              since <DateTime value={a.openedAt} relative />
              {a.repeats > 0 && ` · seen ${a.repeats + 1} times`}
            </Text>
          </Group>
          <Text size="sm" c="dimmed" mt={4}>
            {a.title}
          </Text>
        </Paper>
      ))}
    </Stack>
  );
}
