import { Box } from "@mantine/core";
import { IconServer2 } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { Can } from "../../session/viewer.js";
import { PageHeader } from "../../ui/page-header.js";
import { QueryView } from "../../ui/query-view.js";
import { EmptyState } from "../../ui/states.js";
import { AddAgentButton } from "./add-agent-dialog.js";
import { AgentCards } from "./agent-cards.js";
import { agentsQuery } from "./agents-query.js";
import { AgentsTable } from "./agents-table.js";
import { EnrollHint } from "./enroll-hint.js";

/** The agents: who they are, whether they are connected, when they were last seen; an admin may revoke one. */
export function AgentsPage() {
  const agents = useQuery(agentsQuery);
  return (
    <>
      <PageHeader
        title="Agents"
        description="The daemons on your database hosts. Each one dials in to this control plane and runs its backups."
        actions={
          <Can route="POST /enrollment-tokens">
            <AddAgentButton />
          </Can>
        }
      />
      <QueryView
        query={agents}
        what="agents"
        isEmpty={(items) => items.length === 0}
        empty={
          <EmptyState title="No agents yet" icon={<IconServer2 size={32} stroke={1.4} aria-hidden />}>
            <EnrollHint />
          </EmptyState>
        }
      >
        {(items) => (
          <>
            <Box visibleFrom="sm">
              <AgentsTable items={items} />
            </Box>
            <Box hiddenFrom="sm">
              <AgentCards items={items} />
            </Box>
          </>
        )}
      </QueryView>
    </>
  );
}
