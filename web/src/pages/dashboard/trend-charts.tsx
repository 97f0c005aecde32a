import "@mantine/charts/styles.css";
import { BarChart, LineChart } from "@mantine/charts";
import { SimpleGrid, Stack, Text, Title } from "@mantine/core";
import type { ReactNode } from "react";
import { formatBytes } from "../../format/bytes.js";
import { formatDuration } from "../../format/time.js";
import type { DayFigures } from "./dashboard-queries.js";

// recharts and @mantine/charts weigh about 100 KB gzipped: this module is its own chunk, loaded after
// the dashboard's figures are on screen (dashboard-page.tsx imports it with React.lazy).

/** `12-07` from `2026-12-07`: the year is the same across a 30-day window nearly always, and the heading says UTC. */
const shortDay = (day: string) => day.slice(5);

function ChartBlock({ title, description, children }: { title: string; description: string; children: ReactNode }) {
  return (
    <Stack gap={4} component="figure" m={0}>
      <Title order={3} size="h5">
        {title}
      </Title>
      <Text size="xs" c="dimmed" component="figcaption">
        {description}
      </Text>
      {children}
    </Stack>
  );
}

/** `0.6 s`, `12.5 s`, then as formatDuration: an axis of short runs needs the tenths to tell its ticks apart. */
const seconds = (v: number) => (v < 60 ? `${Number(v.toFixed(1))} s` : formatDuration(v * 1000));

/** Backup size and duration per day over the stats window, from `GET /stats`'s series. */
export function TrendCharts({ series }: { series: DayFigures[] }) {
  const data = series.map((d) => ({
    day: shortDay(d.day),
    bytes: d.bytes,
    completed: d.completed,
    failed: d.failed + d.missed,
    avgSeconds: d.avgDurationMs === null ? null : d.avgDurationMs / 1000,
    maxSeconds: d.maxDurationMs === null ? null : d.maxDurationMs / 1000,
  }));
  // What the three charts share: one day per tick, no tick marks, tooltips without animation.
  const common = { h: 220, data, dataKey: "day", tickLine: "none", tooltipAnimationDuration: 0 } as const;
  return (
    <SimpleGrid cols={{ base: 1, md: 2 }} spacing="xl">
      <ChartBlock title="Size of completed backups" description="Bytes written per day (UTC days), all datasources together.">
        <BarChart
          {...common}
          series={[{ name: "bytes", label: "Size", color: "blue.6" }]}
          valueFormatter={(v) => formatBytes(v)}
          yAxisProps={{ width: 72 }}
        />
      </ChartBlock>
      <ChartBlock title="Backup duration" description="Mean and longest start-to-finish time per day (UTC days).">
        <LineChart
          {...common}
          series={[
            { name: "avgSeconds", label: "Mean", color: "teal.6" },
            { name: "maxSeconds", label: "Longest", color: "orange.6" },
          ]}
          valueFormatter={seconds}
          yAxisProps={{ width: 72 }}
          withLegend
          connectNulls
        />
      </ChartBlock>
      <ChartBlock title="Outcomes" description="Backups completed and failed or missed per day (UTC days).">
        <BarChart
          {...common}
          type="stacked"
          series={[
            { name: "completed", label: "Completed", color: "green.6" },
            { name: "failed", label: "Failed or missed", color: "red.6" },
          ]}
          withLegend
          yAxisProps={{ allowDecimals: false, width: 72 }}
        />
      </ChartBlock>
    </SimpleGrid>
  );
}
