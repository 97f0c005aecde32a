import { Box, Button, Center } from "@mantine/core";
import { IconListCheck } from "@tabler/icons-react";
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { getRouteApi } from "@tanstack/react-router";
import { PageHeader } from "../../ui/page-header.js";
import { QueryView } from "../../ui/query-view.js";
import { EmptyState } from "../../ui/states.js";
import { RunsFilters } from "./runs-filters.js";
import { datasourceChoicesQuery, runListQuery } from "./runs-query.js";
import { isFiltered, type RunsSearch } from "./runs-search.js";
import { RunCards, RunsTable } from "./runs-table.js";

const route = getRouteApi("/shell/runs");

/** The run history: every backup, restore and drill, filtered by what the URL says, newest first. */
export function RunsPage() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  const runs = useInfiniteQuery(runListQuery(search));
  const datasources = useQuery(datasourceChoicesQuery);
  const nameOf = (id: string) => datasources.data?.find((d) => d.id === id)?.name ?? id;
  const setSearch = (next: RunsSearch) => void navigate({ search: next, replace: true });
  return (
    <>
      <PageHeader title="Runs" description="Every backup, restore and restore drill, newest first. Open one for its progress, logs and deliveries." />
      <RunsFilters search={search} datasources={datasources.data} onChange={setSearch} />
      <QueryView
        query={runs}
        what="runs"
        isEmpty={(data) => data.pages[0]?.items.length === 0}
        empty={
          <EmptyState title={isFiltered(search) ? "No run matches these filters" : "No runs yet"} icon={<IconListCheck size={32} stroke={1.4} aria-hidden />}>
            {isFiltered(search) ? (
              <Button variant="light" onClick={() => setSearch({})}>
                Clear filters
              </Button>
            ) : (
              "Runs appear here once a schedule fires or someone starts a backup with “Run now”."
            )}
          </EmptyState>
        }
      >
        {(data) => {
          const items = data.pages.flatMap((p) => p.items);
          return (
            <>
              <Box visibleFrom="sm">
                <RunsTable items={items} nameOf={nameOf} />
              </Box>
              <Box hiddenFrom="sm">
                <RunCards items={items} nameOf={nameOf} />
              </Box>
              {runs.hasNextPage && (
                <Center mt="md">
                  <Button variant="default" loading={runs.isFetchingNextPage} onClick={() => void runs.fetchNextPage()}>
                    Show older runs
                  </Button>
                </Center>
              )}
            </>
          );
        }}
      </QueryView>
    </>
  );
}
