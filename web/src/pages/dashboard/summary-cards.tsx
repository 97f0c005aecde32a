import { Anchor, Group, Paper, SimpleGrid, Text, ThemeIcon } from "@mantine/core";
import { IconActivity, IconCircleCheck, IconServer2 } from "@tabler/icons-react";
import { Link } from "@tanstack/react-router";
import type { ReactNode } from "react";
import type { AgentItem } from "../agents/agents-query.js";
import type { Stats } from "./dashboard-queries.js";
import classes from "./dashboard.module.css";

const percent = new Intl.NumberFormat("en", { style: "percent", maximumFractionDigits: 1 });

function Card({ title, icon, value, color, children }: { title: string; icon: ReactNode; value: string; color?: string | undefined; children: ReactNode }) {
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-label={title}>
      <Group justify="space-between" wrap="nowrap" mb={4}>
        <Text size="sm" fw={600} c="dimmed">
          {title}
        </Text>
        <ThemeIcon variant="light" color={color ?? "gray"} size="md" aria-hidden>
          {icon}
        </ThemeIcon>
      </Group>
      <Text fz={28} fw={700} c={color} className={classes.figure}>
        {value}
      </Text>
      <Text size="sm" c="dimmed">
        {children}
      </Text>
    </Paper>
  );
}

function rateColor(rate: number | null): string | undefined {
  if (rate === null) return undefined;
  if (rate === 1) return "green";
  return rate >= 0.9 ? "yellow" : "red";
}

function SuccessCard({ days, figures }: { days: number; figures: Stats["successRate"]["days7"] }) {
  const { rate, completed, failed, missed } = figures;
  return (
    <Card title={`Success, last ${days} days`} icon={<IconCircleCheck size={18} />} value={rate === null ? "—" : percent.format(rate)} color={rateColor(rate)}>
      {rate === null ? "No backups in this window yet." : `${completed} completed, ${failed} failed, ${missed} missed`}
    </Card>
  );
}

/** Agents, success rates and what runs now, at a glance. */
export function SummaryCards({ agents, stats, running }: { agents: AgentItem[] | undefined; stats: Stats | undefined; running: number | undefined }) {
  const active = agents?.filter((a) => a.status !== "revoked") ?? [];
  const online = active.filter((a) => a.status === "online");
  const away = active.filter((a) => a.status !== "online");
  return (
    <SimpleGrid cols={{ base: 1, xs: 2, lg: 4 }} mb="xl">
      <Card
        title="Agents online"
        icon={<IconServer2 size={18} />}
        value={agents ? `${online.length} of ${active.length}` : "…"}
        color={away.length > 0 ? "red" : active.length > 0 ? "green" : undefined}
      >
        {!agents ? (
          "Loading agents"
        ) : active.length === 0 ? (
          <>
            No agent yet:{" "}
            <Anchor component={Link} to="/agents" inherit>
              add one
            </Anchor>
            .
          </>
        ) : away.length === 0 ? (
          "All connected."
        ) : (
          `Not connected: ${away
            .slice(0, 3)
            .map((a) => `${a.name} (${a.status})`)
            .join(", ")}${away.length > 3 ? ` and ${away.length - 3} more` : ""}`
        )}
      </Card>
      {stats ? <SuccessCard days={7} figures={stats.successRate.days7} /> : <Card title="Success, last 7 days" icon={<IconCircleCheck size={18} />} value="…">Loading</Card>}
      {stats ? <SuccessCard days={30} figures={stats.successRate.days30} /> : <Card title="Success, last 30 days" icon={<IconCircleCheck size={18} />} value="…">Loading</Card>}
      <Card title="Running now" icon={<IconActivity size={18} />} value={running === undefined ? "…" : String(running)} color={running ? "blue" : undefined}>
        {running ? "Progress below." : "Nothing is running."}
      </Card>
    </SimpleGrid>
  );
}
