import { Table, Text } from "@mantine/core";
import { IconKey } from "@tabler/icons-react";
import { queryOptions, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { viewerTimeZone } from "../../format/time.js";
import { useCan } from "../../session/viewer.js";
import { ConfirmButton } from "../../ui/confirm-button.js";
import { DateTime } from "../../ui/date-time.js";
import { NotForYourRole } from "../../ui/not-for-your-role.js";
import { PageHeader } from "../../ui/page-header.js";
import { QueryView } from "../../ui/query-view.js";
import { EmptyState } from "../../ui/states.js";
import { CreateEnrollmentTokenButton } from "./create-enrollment-token-dialog.js";
import classes from "./enrollment-tokens.module.css";

const pendingTokensQuery = queryOptions({
  queryKey: queryKeys.enrollmentTokens,
  queryFn: async () => (await unwrap(api["enrollment-tokens"].$get())).items,
});

/** Enrollment tokens (admin): each enrolls one agent, once, before it expires. Lists those still pending. */
export function EnrollmentTokensPage() {
  const mayRead = useCan("GET /enrollment-tokens");
  return (
    <>
      <PageHeader
        title="Enrollment tokens"
        description="Each enrolls one agent, once, before it expires. Used, revoked and expired tokens leave this list."
        actions={mayRead && <CreateEnrollmentTokenButton />}
      />
      {mayRead ? <PendingTokens /> : <NotForYourRole what="enrollment tokens" role="admin" />}
    </>
  );
}

function PendingTokens() {
  const tokens = useQuery(pendingTokensQuery);
  const queryClient = useQueryClient();
  return (
    <QueryView
      query={tokens}
      what="enrollment tokens"
      isEmpty={(items) => items.length === 0}
      empty={
        <EmptyState title="No pending enrollment tokens" icon={<IconKey size={32} stroke={1.4} aria-hidden />}>
          <Text c="dimmed">Make one when you add an agent; the Agents page's "Add agent" does it for you.</Text>
        </EmptyState>
      }
    >
      {(items) => (
        <Table.ScrollContainer minWidth={640}>
          <Table verticalSpacing="sm" highlightOnHover>
            <Table.Caption>
              {items.length} pending token{items.length === 1 ? "" : "s"}
            </Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Name</Table.Th>
                <Table.Th scope="col">Made by</Table.Th>
                <Table.Th scope="col">Created ({viewerTimeZone()})</Table.Th>
                <Table.Th scope="col">Expires</Table.Th>
                <Table.Th scope="col">Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((token) => {
                const name = token.name ?? token.id;
                return (
                  <Table.Tr key={token.id}>
                    <Table.Td className={classes.wrap}>
                      {token.name ?? (
                        <Text span inherit c="dimmed" ff="monospace">
                          {token.id}
                        </Text>
                      )}
                    </Table.Td>
                    <Table.Td className={classes.wrap}>{token.createdBy ?? <Text span inherit c="dimmed">the CLI</Text>}</Table.Td>
                    <Table.Td>
                      <DateTime value={token.createdAt} withZone={false} />
                    </Table.Td>
                    <Table.Td>
                      <DateTime value={token.expiresAt} withZone={false} />
                    </Table.Td>
                    <Table.Td>
                      <ConfirmButton
                        label="Revoke"
                        ariaLabel={`Revoke ${name}`}
                        title={`Revoke enrollment token ${name}?`}
                        failed="The token was not revoked"
                        onConfirm={async () => {
                          await unwrap(api["enrollment-tokens"][":id"].$delete({ param: { id: token.id } }));
                          await queryClient.invalidateQueries({ queryKey: queryKeys.enrollmentTokens });
                        }}
                      >
                        No agent can enroll with it any more. An agent it already enrolled is not affected: revoke that agent on the Agents page.
                      </ConfirmButton>
                    </Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </QueryView>
  );
}
