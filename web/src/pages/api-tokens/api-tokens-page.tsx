import { SegmentedControl, Table, Text } from "@mantine/core";
import { IconApi } from "@tabler/icons-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { viewerTimeZone } from "../../format/time.js";
import { useViewer } from "../../session/viewer.js";
import { ConfirmButton } from "../../ui/confirm-button.js";
import { DateTime } from "../../ui/date-time.js";
import { PageHeader } from "../../ui/page-header.js";
import { QueryView } from "../../ui/query-view.js";
import { EmptyState } from "../../ui/states.js";
import { CreateApiTokenButton } from "./create-api-token-dialog.js";
import { apiTokensQuery, type ApiTokenItem } from "./api-tokens-query.js";
import classes from "./api-tokens.module.css";

/** API tokens for scripts and other tools: everyone their own, admins everyone's. */
export function ApiTokensPage() {
  const { user } = useViewer();
  const isAdmin = user?.role === "admin";
  const [scope, setScope] = useState<"mine" | "all">("mine");
  const everyone = isAdmin && scope === "all";
  const tokens = useQuery(apiTokensQuery(everyone));
  return (
    <>
      <PageHeader
        title="API tokens"
        description="For scripts and tools calling the REST API with Authorization: Bearer. A token acts with at most its user's role."
        actions={<CreateApiTokenButton />}
      />
      {isAdmin && (
        <SegmentedControl
          mb="md"
          aria-label="Whose tokens"
          value={scope}
          onChange={(v) => setScope(v === "all" ? "all" : "mine")}
          data={[
            { value: "mine", label: "Mine" },
            { value: "all", label: "Every user's" },
          ]}
        />
      )}
      <QueryView
        query={tokens}
        what="API tokens"
        isEmpty={(items) => items.length === 0}
        empty={
          <EmptyState title={everyone ? "No API tokens" : "You have no API tokens"} icon={<IconApi size={32} stroke={1.4} aria-hidden />}>
            <Text c="dimmed">Make one for each script or tool, so each can be revoked alone.</Text>
          </EmptyState>
        }
      >
        {(items) => <TokensTable items={items} withUser={everyone} />}
      </QueryView>
    </>
  );
}

function TokensTable({ items, withUser }: { items: ApiTokenItem[]; withUser: boolean }) {
  const queryClient = useQueryClient();
  return (
    <Table.ScrollContainer minWidth={720}>
      <Table verticalSpacing="sm" highlightOnHover>
        <Table.Caption>
          {items.length} token{items.length === 1 ? "" : "s"}
        </Table.Caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Name</Table.Th>
            {withUser && <Table.Th scope="col">User</Table.Th>}
            <Table.Th scope="col">Role</Table.Th>
            <Table.Th scope="col">Created ({viewerTimeZone()})</Table.Th>
            <Table.Th scope="col">Last used</Table.Th>
            <Table.Th scope="col">Actions</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((token) => (
            <Table.Tr key={token.id}>
              <Table.Td className={classes.wrap}>
                <Text fw={600} inherit className={classes.wrap}>
                  {token.name}
                </Text>
                {token.prefix && (
                  <Text size="xs" c="dimmed" ff="monospace">
                    {token.prefix}…
                  </Text>
                )}
              </Table.Td>
              {withUser && <Table.Td className={classes.wrap}>{token.userEmail}</Table.Td>}
              <Table.Td>{token.effectiveRole}</Table.Td>
              <Table.Td>
                <DateTime value={token.createdAt} withZone={false} />
              </Table.Td>
              <Table.Td>
                <DateTime value={token.lastUsedAt} relative withZone={false} />
              </Table.Td>
              <Table.Td>
                <ConfirmButton
                  label="Revoke"
                  ariaLabel={`Revoke ${token.name}`}
                  title={`Revoke API token ${token.name}?`}
                  failed="The token was not revoked"
                  onConfirm={async () => {
                    await unwrap(api["api-tokens"][":id"].$delete({ param: { id: token.id } }));
                    await queryClient.invalidateQueries({ queryKey: queryKeys.apiTokens });
                  }}
                >
                  Every request with it is refused from now on{withUser ? ` (it belongs to ${token.userEmail})` : ""}. This cannot be undone: a script using it needs a new token.
                </ConfirmButton>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
