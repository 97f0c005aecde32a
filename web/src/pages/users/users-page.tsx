import { Table } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { viewerTimeZone } from "../../format/time.js";
import { useCan } from "../../session/viewer.js";
import { NotForYourRole } from "../../ui/not-for-your-role.js";
import { PageHeader } from "../../ui/page-header.js";
import { QueryView } from "../../ui/query-view.js";
import { CreateUserButton } from "./create-user-dialog.js";
import { usersQuery } from "./users-query.js";
import { UserRow } from "./user-row.js";

const DESCRIPTION = "Who may sign in, and with which role: admins manage users and agents, operators run and configure backups, viewers read.";

/** The users (admin): create, change a role, disable or enable, reset a password. */
export function UsersPage() {
  const mayRead = useCan("GET /users");
  return (
    <>
      <PageHeader title="Users" description={DESCRIPTION} actions={mayRead && <CreateUserButton />} />
      {mayRead ? <UsersList /> : <NotForYourRole what="users" role="admin" />}
    </>
  );
}

function UsersList() {
  const users = useQuery(usersQuery);
  return (
    <QueryView query={users} what="users">
      {(items) => (
        <Table.ScrollContainer minWidth={720}>
          <Table verticalSpacing="sm" highlightOnHover>
            <Table.Caption>
              {items.length} user{items.length === 1 ? "" : "s"}
            </Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">E-mail</Table.Th>
                <Table.Th scope="col">Role</Table.Th>
                <Table.Th scope="col">Status</Table.Th>
                <Table.Th scope="col">Created ({viewerTimeZone()})</Table.Th>
                <Table.Th scope="col">Actions</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((user) => (
                <UserRow key={user.id} user={user} />
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </QueryView>
  );
}
