import { Progress, Table, Text } from "@mantine/core";
import { formatBytes } from "../../format/bytes.js";
import type { DestinationStorage } from "./dashboard-queries.js";
import classes from "./dashboard.module.css";

const percent = new Intl.NumberFormat("en", { style: "percent", maximumFractionDigits: 0 });

/** What Holdfast keeps in each destination, against its quota when it has one. */
export function StorageTable({ items }: { items: DestinationStorage[] }) {
  return (
    <Table.ScrollContainer minWidth={520} scrollAreaProps={{ viewportProps: { tabIndex: 0, role: "region", "aria-label": "Storage per destination, scrolls sideways" } }}>
      <Table verticalSpacing="sm">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Destination</Table.Th>
            <Table.Th scope="col">Type</Table.Th>
            <Table.Th scope="col">Backups</Table.Th>
            <Table.Th scope="col">Used</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((d) => {
            const quota = d.maxSizeGb === null ? null : d.maxSizeGb * 1e9;
            const share = quota === null ? null : d.bytes / quota;
            return (
              <Table.Tr key={d.destinationId}>
                <Table.Td className={classes.name}>
                  <Text fw={600} size="sm">
                    {d.name}
                  </Text>
                </Table.Td>
                <Table.Td>{d.type}</Table.Td>
                <Table.Td className={classes.figure}>{d.backups}</Table.Td>
                <Table.Td miw={180}>
                  <Text size="sm" className={classes.figure}>
                    {formatBytes(d.bytes)}
                    {quota !== null && share !== null && ` of ${formatBytes(quota)} (${percent.format(share)})`}
                  </Text>
                  {share !== null && (
                    <Progress value={Math.min(100, share * 100)} color={share >= 0.9 ? "red" : share >= 0.75 ? "yellow" : "blue"} size="sm" mt={4} aria-label={`${d.name}: ${percent.format(share)} of its quota used`} />
                  )}
                </Table.Td>
              </Table.Tr>
            );
          })}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}
