import { Anchor, Paper, Stack, Text, Title } from "@mantine/core";
import { IconChartBar, IconDatabase, IconTruckDelivery } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { lazy, type ReactNode, Suspense } from "react";
import { viewerTimeZone } from "../../format/time.js";
import { PageHeader } from "../../ui/page-header.js";
import { QueryView } from "../../ui/query-view.js";
import { EmptyState, LoadingState } from "../../ui/states.js";
import { agentsQuery } from "../agents/agents-query.js";
import { alertsQuery, runningRunsQuery, statsQuery } from "./dashboard-queries.js";
import { FreshnessTable } from "./freshness-table.js";
import { OpenAlerts } from "./open-alerts.js";
import { RunningRuns } from "./running-runs.js";
import { StorageTable } from "./storage-table.js";
import { SummaryCards } from "./summary-cards.js";

const TrendCharts = lazy(() => import("./trend-charts.js").then((m) => ({ default: m.TrendCharts })));

function Section({ title, children, id }: { title: string; children: ReactNode; id: string }) {
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby={id}>
      <Title order={2} size="h4" mb="sm" id={id}>
        {title}
      </Title>
      {children}
    </Paper>
  );
}

/** What an operator checks every morning: are the agents there, are the backups recent, what runs, what it costs. */
export function DashboardPage() {
  const stats = useQuery(statsQuery);
  const agents = useQuery(agentsQuery);
  const running = useQuery(runningRunsQuery);
  const alerts = useQuery(alertsQuery);
  const names = new Map((stats.data?.lastGoodBackup ?? []).map((d) => [d.datasourceId, d.datasourceName]));
  const anyBackups = (stats.data?.series ?? []).some((d) => d.backups > 0);

  return (
    <>
      <PageHeader title="Dashboard" description={`How your backups are doing. Times are in ${viewerTimeZone()}, your time zone.`} />
      <SummaryCards agents={agents.data} stats={stats.data} running={running.data?.length} />
      <Stack gap="lg">
        <Section title="Open alerts" id="dash-alerts">
          <QueryView query={alerts} what="the open alerts">
            {(data) => <OpenAlerts alerts={data.open} />}
          </QueryView>
        </Section>
        {running.data && running.data.length > 0 && (
          <Section title="Running now" id="dash-running">
            <RunningRuns runs={running.data} names={names} />
          </Section>
        )}
        <QueryView query={stats} what="the dashboard's figures">
          {(data) => (
            <Stack gap="lg">
              <Section title="Datasources" id="dash-datasources">
                {data.lastGoodBackup.length === 0 ? (
                  <EmptyState title="No datasources yet" icon={<IconDatabase size={32} stroke={1.4} aria-hidden />}>
                    <Text c="dimmed" maw={520}>
                      A datasource is a database an agent backs up.{" "}
                      <Anchor component={Link} to="/datasources">
                        Add your first datasource
                      </Anchor>
                      , then press Run now or give it a schedule. Its last good backup will show here.
                    </Text>
                  </EmptyState>
                ) : (
                  <FreshnessTable items={data.lastGoodBackup} />
                )}
              </Section>
              <Section title="Storage per destination" id="dash-storage">
                {data.storage.length === 0 ? (
                  <EmptyState title="No destinations yet" icon={<IconTruckDelivery size={32} stroke={1.4} aria-hidden />}>
                    <Text c="dimmed" maw={520}>
                      Backups are delivered to destinations: a folder, an S3 bucket or an SFTP server.{" "}
                      <Anchor component={Link} to="/destinations">
                        Add a destination
                      </Anchor>
                      .
                    </Text>
                  </EmptyState>
                ) : (
                  <StorageTable items={data.storage} />
                )}
              </Section>
              <Section title="Trends, last 30 days" id="dash-trends">
                {anyBackups ? (
                  <Suspense fallback={<LoadingState label="Loading the charts" />}>
                    <TrendCharts series={data.series} />
                  </Suspense>
                ) : (
                  <EmptyState title="No backups in the last 30 days" icon={<IconChartBar size={32} stroke={1.4} aria-hidden />}>
                    <Text c="dimmed" maw={520}>
                      Size, duration and outcome per day appear here once backups run. Press Back up now on a{" "}
                      <Anchor component={Link} to="/datasources">
                        datasource
                      </Anchor>{" "}
                      for the first one.
                    </Text>
                  </EmptyState>
                )}
              </Section>
            </Stack>
          )}
        </QueryView>
      </Stack>
    </>
  );
}
