import { NOTIFICATION_KINDS } from "@holdfast/shared";
import { Badge, Button, Group, Paper, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { IconBell, IconPlus } from "@tabler/icons-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { Can } from "../../session/viewer.js";
import { ConfirmButton } from "../../ui/confirm-button.js";
import { PageHeader } from "../../ui/page-header.js";
import { QueryView } from "../../ui/query-view.js";
import { EmptyState } from "../../ui/states.js";
import { ChannelModal } from "./channel-modal.js";
import { targetOf, TYPE_LABELS } from "./channel-texts.js";
import { type ChannelItem, channelsQuery } from "./notifications-query.js";
import classes from "./notifications.module.css";
import { RecentSends } from "./recent-sends.js";
import { SendTestButton } from "./send-test-button.js";

/** Where alerts go: each channel with what it hears about, a test button, and the newest sends with their outcome. */
export function NotificationsPage() {
  const channels = useQuery(channelsQuery);
  const [editing, setEditing] = useState<ChannelItem | undefined>();
  const [modalOpen, modal] = useDisclosure(false);
  const queryClient = useQueryClient();
  const openForm = (c?: ChannelItem) => {
    setEditing(c);
    modal.open();
  };
  return (
    <>
      <PageHeader
        title="Notifications"
        description="Who hears about failed backups, offline agents and other trouble: webhooks, e-mail, Slack, Discord, Teams, Telegram, ntfy."
        actions={
          <Can route="POST /notification-channels">
            <Button leftSection={<IconPlus size={16} aria-hidden />} onClick={() => openForm()}>
              Add channel
            </Button>
          </Can>
        }
      />
      <Stack gap="xl">
        <QueryView
          query={channels}
          what="notification channels"
          isEmpty={(items) => items.length === 0}
          empty={
            <EmptyState title="No notification channels yet" icon={<IconBell size={32} stroke={1.4} aria-hidden />}>
              <Text c="dimmed">Without one, a failed backup is only seen by whoever opens this console.</Text>
            </EmptyState>
          }
        >
          {(items) => (
            <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md" component="ul" aria-label="Notification channels" className={classes.list}>
              {items.map((c) => (
                <ChannelCard key={c.id} channel={c} onEdit={() => openForm(c)} />
              ))}
            </SimpleGrid>
          )}
        </QueryView>
        <RecentSends channels={channels.data ?? []} />
      </Stack>
      <ChannelModal
        opened={modalOpen}
        {...(editing ? { stored: editing } : {})}
        onClose={modal.close}
        onSaved={() => {
          modal.close();
          void queryClient.invalidateQueries({ queryKey: queryKeys.notificationChannels });
        }}
      />
    </>
  );
}

function ChannelCard({ channel: c, onEdit }: { channel: ChannelItem; onEdit: () => void }) {
  const queryClient = useQueryClient();
  return (
    <Paper component="li" withBorder p="md" aria-label={c.name}>
      <Stack gap="xs">
        <Group justify="space-between" align="flex-start" wrap="nowrap" gap="sm">
          <Stack gap={2} miw={0}>
            <Title order={2} size="h4" className={classes.wrap}>
              {c.name}
            </Title>
            <Text size="sm" c="dimmed" ff="monospace" className={classes.wrap}>
              {targetOf(c.type, c.config)}
            </Text>
          </Stack>
          <Group gap={4} className={classes.keepWhole}>
            {!c.enabled && <Badge color="gray">off</Badge>}
            <Badge variant="light" color="gray">
              {TYPE_LABELS[c.type]}
            </Badge>
          </Group>
        </Group>
        <Text size="sm">
          {c.events.length === 0 ? "No events" : c.events.map((k) => NOTIFICATION_KINDS[k].label).join(", ")}
          <Text span c="dimmed" size="sm">
            {" "}
            · {c.minSeverity} and above
          </Text>
        </Text>
        <Group justify="flex-end" gap="xs">
          <Can route="POST /notification-channels/:id/test">
            <SendTestButton channel={c} />
          </Can>
          <Can route="PATCH /notification-channels/:id">
            <Button variant="subtle" size="compact-sm" onClick={onEdit} aria-label={`Edit ${c.name}`}>
              Edit
            </Button>
          </Can>
          <Can route="DELETE /notification-channels/:id">
            <ConfirmButton
              label="Delete"
              ariaLabel={`Delete ${c.name}`}
              title={`Delete channel ${c.name}?`}
              failed="The channel was not deleted"
              onConfirm={async () => {
                await unwrap(api["notification-channels"][":id"].$delete({ param: { id: c.id } }));
                await queryClient.invalidateQueries({ queryKey: queryKeys.notificationChannels });
                await queryClient.invalidateQueries({ queryKey: queryKeys.notificationSends });
              }}
            >
              No alert goes there any more, its stored credentials are removed, and so is the record of its sends.
            </ConfirmButton>
          </Can>
        </Group>
      </Stack>
    </Paper>
  );
}
