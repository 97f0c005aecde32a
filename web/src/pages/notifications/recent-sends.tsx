import { Badge, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { DateTime } from "../../ui/date-time.js";
import { QueryView } from "../../ui/query-view.js";
import { type ChannelItem, type SendItem, sendsQuery } from "./notifications-query.js";

const STATE_COLORS: Record<SendItem["state"], string> = { pending: "yellow", sending: "blue", sent: "green", failed: "red" };

/** The newest sends across channels: when, what, where, and whether it arrived (with the last error when not). */
export function RecentSends({ channels }: { channels: ChannelItem[] }) {
  const sends = useQuery(sendsQuery);
  const nameOf = (id: string) => channels.find((c) => c.id === id)?.name ?? id;
  return (
    <section aria-labelledby="recent-sends">
      <Title order={2} size="h4" id="recent-sends" mb="sm">
        Recent sends
      </Title>
      <QueryView query={sends} what="sends" isEmpty={(items) => items.length === 0} empty={<Text c="dimmed">Nothing sent yet.</Text>}>
        {(items) => (
          <Table.ScrollContainer minWidth={640}>
            <Table aria-labelledby="recent-sends" striped>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>When</Table.Th>
                  <Table.Th>Alert</Table.Th>
                  <Table.Th>Channel</Table.Th>
                  <Table.Th>Outcome</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((s) => (
                  <Table.Tr key={s.id}>
                    <Table.Td>
                      <DateTime value={s.createdAt} relative />
                    </Table.Td>
                    <Table.Td>
                      {s.title}
                      <Text span c="dimmed" size="sm">
                        {" "}
                        · {s.severity}
                      </Text>
                    </Table.Td>
                    <Table.Td>{nameOf(s.channelId)}</Table.Td>
                    <Table.Td>
                      <Badge color={STATE_COLORS[s.state]} variant="light">
                        {s.state}
                      </Badge>{" "}
                      {s.attempts > 1 && <Text span size="sm">after {s.attempts} tries </Text>}
                      {s.error && (
                        <Text size="sm" c="dimmed">
                          {s.error.message}
                        </Text>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </QueryView>
    </section>
  );
}
