import { Alert, Badge, Button, Group, Paper, Progress, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconCircleCheck, IconLock, IconPlus, IconTrashOff, IconTruckDelivery } from "@tabler/icons-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { queryKeys } from "../../api/query-keys.js";
import { formatBytes } from "../../format/bytes.js";
import { Can } from "../../session/viewer.js";
import { DateTime } from "../../ui/date-time.js";
import { HealthBadge } from "../../ui/health-badge.js";
import { PageHeader } from "../../ui/page-header.js";
import { QueryView } from "../../ui/query-view.js";
import { EmptyState, ErrorState } from "../../ui/states.js";
import { statsQuery } from "../datasources/datasources-query.js";
import { DeleteDestinationButton } from "./delete-destination-button.js";
import { DestinationModal } from "./destination-modal.js";
import { TYPE_LABELS, whereOf } from "./destination-texts.js";
import { type DestinationItem, destinationsQuery, probeQuery } from "./destinations-query.js";
import classes from "./destinations.module.css";

/** Where backups are delivered: each destination's usage against its quota, its free space once tested, and its settings. */
export function DestinationsPage() {
  const destinations = useQuery(destinationsQuery);
  const stats = useQuery(statsQuery);
  const [editing, setEditing] = useState<DestinationItem | undefined>();
  const [modalOpen, modal] = useDisclosure(false);
  const queryClient = useQueryClient();
  const openForm = (d?: DestinationItem) => {
    setEditing(d);
    modal.open();
  };
  return (
    <>
      <PageHeader
        title="Destinations"
        description="Where backups are delivered: folders on this host, S3 buckets, SFTP servers."
        actions={
          <Can route="POST /destinations">
            <Button leftSection={<IconPlus size={16} aria-hidden />} onClick={() => openForm()}>
              Add destination
            </Button>
          </Can>
        }
      />
      <QueryView
        query={destinations}
        what="destinations"
        isEmpty={(items) => items.length === 0}
        empty={
          <EmptyState title="No destinations yet" icon={<IconTruckDelivery size={32} stroke={1.4} aria-hidden />}>
            <Text c="dimmed">Add one before scheduling backups: a folder on this host is enough to start, an offsite bucket is better.</Text>
          </EmptyState>
        }
      >
        {(items) => (
          <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md" component="ul" aria-label="Destinations" className={classes.list}>
            {items.map((d) => (
              <DestinationCard key={d.id} destination={d} usage={stats.data?.storage.find((s) => s.destinationId === d.id)} onEdit={() => openForm(d)} />
            ))}
          </SimpleGrid>
        )}
      </QueryView>
      <DestinationModal
        opened={modalOpen}
        {...(editing ? { stored: editing } : {})}
        onClose={modal.close}
        onSaved={() => {
          modal.close();
          void queryClient.invalidateQueries({ queryKey: queryKeys.destinations });
          void queryClient.invalidateQueries({ queryKey: queryKeys.stats });
        }}
      />
    </>
  );
}

interface Usage {
  bytes: number;
  backups: number;
}

function DestinationCard({ destination: d, usage, onEdit }: { destination: DestinationItem; usage: Usage | undefined; onEdit: () => void }) {
  const probe = useQuery(probeQuery(d.id));
  const queryClient = useQueryClient();
  const lock = objectLockOf(d.config);
  const quotaBytes = d.maxSizeGb === null ? null : d.maxSizeGb * 1e9;
  const used = usage?.bytes ?? 0;
  const share = quotaBytes ? Math.min(100, (used / quotaBytes) * 100) : 0;
  return (
    <Paper component="li" withBorder p="md" aria-label={d.name}>
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start" wrap="nowrap" gap="sm">
          <Stack gap={2} miw={0}>
            <Title order={2} size="h4" className={classes.wrap}>
              {d.name}
            </Title>
            <Text size="sm" c="dimmed" ff="monospace" className={classes.wrap}>
              {whereOf(d.type, d.config)}
            </Text>
          </Stack>
          <Group gap={4} className={classes.keepWhole}>
            <HealthBadge status={d.health.status} hint={d.health.nearlyFull ?? (d.health.lastCheck?.error ? `${d.health.lastCheck.error.code}: ${d.health.lastCheck.error.message}` : null)} />
            {d.isDefault && <Badge variant="filled">default</Badge>}
            <Badge variant="light" color="gray">
              {TYPE_LABELS[d.type]}
            </Badge>
          </Group>
        </Group>
        <dl className={classes.facts}>
          <dt>Used</dt>
          <dd>{usage ? `${formatBytes(used)} in ${usage.backups} backup${usage.backups === 1 ? "" : "s"}` : "—"}</dd>
          <dt>Quota</dt>
          <dd>{quotaBytes === null ? "none" : `${formatBytes(quotaBytes)} (${share.toFixed(0)}% used)`}</dd>
          <dt>Free space</dt>
          <dd>{freeSpace(probe.data?.freeSpaceBytes ?? d.health.lastCheck?.freeBytes, probe.data !== undefined || d.health.lastCheck?.result === "ok")}</dd>
          {lock && (
            <>
              <dt>Object Lock</dt>
              <dd>
                <IconLock size={14} aria-hidden /> {lock.mode}, {lock.days} day{lock.days === 1 ? "" : "s"} from each write
              </dd>
            </>
          )}
          <dt>Last probe</dt>
          <dd>
            <DateTime value={d.health.lastCheck?.checkedAt ?? null} relative withZone={false} />
            {d.health.lastCheck && d.health.lastCheck.result !== "ok" && ` (${d.health.lastCheck.result}: ${d.health.lastCheck.error?.message ?? ""})`}
            {d.health.nearlyFull && ` (nearly full: ${d.health.nearlyFull})`}
          </dd>
          <dt>Transfer cap</dt>
          <dd>{d.transferCapMiBps === null ? "none" : `${d.transferCapMiBps} MiB/s`}</dd>
        </dl>
        {d.deleteDeniedAt && (
          <Alert color="yellow" variant="light" icon={<IconTrashOff aria-hidden />} title="Its credentials cannot delete" role="note" classNames={{ title: classes.noticeTitle }}>
            Since <DateTime value={d.deleteDeniedAt} withZone={false} />, this destination refuses deletes. Backups still go there; retention keeps what its policy would
            delete and notes it on each backup&apos;s delivery (&ldquo;kept: the credentials cannot delete&rdquo;) instead of failing. To let retention delete, allow
            s3:DeleteObject (and s3:DeleteObjectVersion with Object Lock) and run Test.
          </Alert>
        )}
        {quotaBytes !== null && <Progress value={share} color={share >= 90 ? "red" : share >= 75 ? "yellow" : "blue"} aria-label={`${d.name}: ${share.toFixed(0)}% of the quota used`} />}
        <div aria-live="polite">
          {probe.isError && <ErrorState title="The test failed" error={probe.error} />}
          {probe.data && !probe.isFetching && (
            <Text size="sm">
              <IconCircleCheck size={16} aria-hidden className={classes.ok} />{" "}
              {probe.data.canDelete
                ? `Test passed: wrote, read back and deleted ${formatBytes(probe.data.bytes)} in ${Math.round(probe.data.writeMs + probe.data.readMs + probe.data.deleteMs)} ms.`
                : `Test passed: wrote and read back ${formatBytes(probe.data.bytes)}; the credentials may not delete, so ${probe.data.leftBehind ?? "the probe object"} stays.`}
            </Text>
          )}
        </div>
        <Group justify="flex-end" gap="xs">
          <Can route="POST /destinations/:id/test">
            <Button
              variant="default"
              size="compact-sm"
              loading={probe.isFetching}
              // The test also records whether the credentials may delete: the card shows it.
              onClick={() => void probe.refetch().then(() => queryClient.invalidateQueries({ queryKey: queryKeys.destinations }))}
              aria-label={`Test ${d.name}`}
            >
              Test
            </Button>
          </Can>
          <Can route="PATCH /destinations/:id">
            <Button variant="subtle" size="compact-sm" onClick={onEdit} aria-label={`Edit ${d.name}`}>
              Edit
            </Button>
          </Can>
          <Can route="DELETE /destinations/:id">
            <DeleteDestinationButton destination={d} />
          </Can>
        </Group>
      </Stack>
    </Paper>
  );
}

/** An S3 destination's `objectLock` from its (masked) config, when it has one. */
function objectLockOf(config: Record<string, unknown>): { mode: string; days: number } | null {
  const lock = config.objectLock as { mode?: unknown; days?: unknown } | undefined;
  return lock && typeof lock.mode === "string" && typeof lock.days === "number" ? { mode: lock.mode, days: lock.days } : null;
}

/** Free bytes from a test just run, else from the last periodic probe. */
function freeSpace(bytes: number | null | undefined, measured: boolean): string {
  if (!measured) return "test to measure";
  return bytes === null || bytes === undefined ? "not reported by this type" : formatBytes(bytes);
}
