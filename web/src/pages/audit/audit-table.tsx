import { Badge, Code, Group, Table, Text } from "@mantine/core";
import { viewerTimeZone } from "../../format/time.js";
import { DateTime } from "../../ui/date-time.js";
import type { AuditItem } from "./audit-query.js";
import classes from "./audit.module.css";

/** How the action ended: the HTTP status, and a refusal's catalog code (filled badge: Mantine's light green text is under 4.5:1). */
function Outcome({ item }: { item: AuditItem }) {
  const ok = item.status < 400;
  return (
    <Group gap={6} wrap="nowrap">
      <Badge component="span" color={ok ? "green" : "red"} variant="filled" miw="max-content" className={classes.keepWhole}>
        {ok ? "ok" : "refused"} {item.status}
      </Badge>
      {item.errorCode && (
        <Text size="sm" c="dimmed">
          {item.errorCode}
        </Text>
      )}
    </Group>
  );
}

/** Who acted: the user's e-mail and the credential (`session` or an API token's id); nobody for a failed sign-in. */
function Actor({ item }: { item: AuditItem }) {
  if (!item.actor) return <Text c="dimmed">nobody signed in</Text>;
  return (
    <div>
      <Text size="sm">{item.actor.email}</Text>
      <Text size="xs" c="dimmed">
        {item.actor.credential === "session" ? "session" : `API token ${item.actor.credential}`}
      </Text>
    </div>
  );
}

/** The ids acted on, by role (`id`, `runId`); the field names a request sent follow them. */
function Target({ item }: { item: AuditItem }) {
  const ids = Object.entries(item.target);
  if (ids.length === 0 && item.fields.length === 0) return <Text c="dimmed">—</Text>;
  return (
    <div className={classes.wrap}>
      {ids.map(([role, id]) => (
        <Text key={role} size="sm">
          {role === "id" ? "" : `${role} `}
          <Code>{id}</Code>
        </Text>
      ))}
      {item.fields.length > 0 && (
        <Text size="xs" c="dimmed">
          fields: {item.fields.join(", ")}
        </Text>
      )}
    </div>
  );
}

/** The audit records, newest first. */
export function AuditTable({ items }: { items: AuditItem[] }) {
  return (
    <Table.ScrollContainer minWidth={880}>
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">When ({viewerTimeZone()})</Table.Th>
            <Table.Th scope="col">Who</Table.Th>
            <Table.Th scope="col">What</Table.Th>
            <Table.Th scope="col">Object</Table.Th>
            <Table.Th scope="col">Address</Table.Th>
            <Table.Th scope="col">Outcome</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((item) => (
            <Table.Tr key={item.id}>
              <Table.Td>
                <DateTime value={item.at} seconds withZone={false} />
              </Table.Td>
              <Table.Td className={classes.wrap}>
                <Actor item={item} />
              </Table.Td>
              <Table.Td className={classes.wrap}>
                <Code>{item.action}</Code>
              </Table.Td>
              <Table.Td>
                <Target item={item} />
              </Table.Td>
              <Table.Td className={classes.nowrap}>{item.clientAddress}</Table.Td>
              <Table.Td>
                <Outcome item={item} />
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
