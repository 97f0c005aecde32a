import { Button, Center } from "@mantine/core";
import { IconShieldSearch } from "@tabler/icons-react";
import { useInfiniteQuery } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { useCan } from "../../session/viewer.js";
import { NotForYourRole } from "../../ui/not-for-your-role.js";
import { PageHeader } from "../../ui/page-header.js";
import { QueryView } from "../../ui/query-view.js";
import { EmptyState } from "../../ui/states.js";
import { AuditFilters } from "./audit-filters.js";
import { auditListQuery } from "./audit-query.js";
import type { AuditSearch } from "./audit-search.js";
import { AuditTable } from "./audit-table.js";

const route = getRouteApi("/shell/audit");

const DESCRIPTION = "Who did what, to which object, when, from which address, and how it ended: every change, sign-in and download. Never a secret.";

/** The audit log (admin), filtered by what the URL says, newest first. */
export function AuditPage() {
  const mayRead = useCan("GET /audit");
  return (
    <>
      <PageHeader title="Audit log" description={DESCRIPTION} />
      {mayRead ? <AuditList /> : <NotForYourRole what="the audit log" role="admin" />}
    </>
  );
}

function AuditList() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const records = useInfiniteQuery(auditListQuery(search));
  const setSearch = (next: AuditSearch) => void navigate({ search: next, replace: true });
  const filtered = Object.values(search).some((v) => v !== undefined);
  return (
    <>
      <AuditFilters search={search} onChange={setSearch} />
      <QueryView
        query={records}
        what="the audit log"
        isEmpty={(data) => data.pages[0]?.items.length === 0}
        empty={
          <EmptyState title={filtered ? "No record matches these filters" : "No records yet"} icon={<IconShieldSearch size={32} stroke={1.4} aria-hidden />}>
            {filtered ? (
              <Button variant="default" onClick={() => setSearch({})}>
                Clear filters
              </Button>
            ) : (
              "Sign-ins, changes and downloads are recorded here as they happen."
            )}
          </EmptyState>
        }
      >
        {(data) => (
          <>
            <AuditTable items={data.pages.flatMap((p) => p.items)} />
            {records.hasNextPage && (
              <Center mt="md">
                <Button variant="default" loading={records.isFetchingNextPage} onClick={() => void records.fetchNextPage()}>
                  Show older records
                </Button>
              </Center>
            )}
          </>
        )}
      </QueryView>
    </>
  );
}
