import { RunKind, RunState, RunTrigger } from "@holdfast/shared";
import { Button, Group, Select, TextInput } from "@mantine/core";
import type { DatasourceChoice } from "./runs-query.js";
import type { RunsSearch } from "./runs-search.js";

const options = (values: readonly string[]) => values.map((v) => ({ value: v, label: v }));

/** The filters of the runs page; each change goes to the URL (`onChange`), which the list follows. */
export function RunsFilters({ search, datasources, onChange }: { search: RunsSearch; datasources: DatasourceChoice[] | undefined; onChange: (next: RunsSearch) => void }) {
  const set = <K extends keyof RunsSearch>(key: K, value: RunsSearch[K] | null | "") => onChange({ ...search, [key]: value === null || value === "" ? undefined : value });
  const known = datasources?.some((d) => d.id === search.datasourceId) ?? false;
  const datasourceData = [
    ...(datasources ?? []).map((d) => ({ value: d.id, label: d.name })),
    // A datasource deleted since (or not loaded yet) still shows as the filter it is.
    ...(search.datasourceId && !known ? [{ value: search.datasourceId, label: search.datasourceId }] : []),
  ];
  return (
    <Group align="flex-end" gap="sm" mb="md" wrap="wrap" role="search" aria-label="Filter runs">
      <Select label="Datasource" placeholder="All" data={datasourceData} value={search.datasourceId ?? null} onChange={(v) => set("datasourceId", v)} clearable searchable w={220} />
      <Select label="Status" placeholder="All" data={options(RunState.options)} value={search.state ?? null} onChange={(v) => set("state", v as RunsSearch["state"])} clearable w={150} />
      <Select label="Trigger" placeholder="All" data={options(RunTrigger.options)} value={search.trigger ?? null} onChange={(v) => set("trigger", v as RunsSearch["trigger"])} clearable w={140} />
      <Select label="Kind" placeholder="All" data={options(RunKind.options)} value={search.kind ?? null} onChange={(v) => set("kind", v as RunsSearch["kind"])} clearable w={140} />
      <TextInput type="date" label="From" value={search.from ?? ""} onChange={(e) => set("from", e.currentTarget.value)} w={160} />
      <TextInput type="date" label="To" value={search.to ?? ""} onChange={(e) => set("to", e.currentTarget.value)} w={160} />
      <Button variant="subtle" onClick={() => onChange({})} disabled={Object.values(search).every((v) => v === undefined)}>
        Clear filters
      </Button>
    </Group>
  );
}
