import { Button, Group, Select } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { formatBytes } from "../../format/bytes.js";
import { ErrorState } from "../../ui/states.js";

export const databasesQuery = (datasourceId: string) => ({
  queryKey: [...queryKeys.datasource(datasourceId), "databases"] as const,
  queryFn: () => unwrap(api.datasources[":id"].databases.$get({ param: { id: datasourceId } })),
  enabled: false,
  retry: false,
});

/** "List databases": asks the agent what the stored credentials can see, and sets the one picked. */
export function DatabasePicker({ datasourceId, onPick }: { datasourceId: string; onPick: (name: string) => void }) {
  const databases = useQuery(databasesQuery(datasourceId));
  return (
    <>
      <Group mt={6} gap="xs" align="flex-end">
        <Button size="compact-sm" variant="default" loading={databases.isFetching} onClick={() => void databases.refetch()}>
          List databases
        </Button>
        {databases.data && (
          <Select
            size="xs"
            label="Databases on the server"
            placeholder={databases.data.items.length === 0 ? "None visible to this user" : "Pick one"}
            data={databases.data.items.map((d) => ({ value: d.name, label: d.sizeBytes === null ? d.name : `${d.name} (${formatBytes(d.sizeBytes)})` }))}
            onChange={(name) => name && onPick(name)}
            searchable
            flex={1}
          />
        )}
      </Group>
      {databases.isError && <ErrorState title="Could not list the databases" error={databases.error} />}
    </>
  );
}
