import { Badge, Button, Group, Modal, SegmentedControl, Stack, Table, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client.js";
import { ErrorState } from "../../ui/states.js";

const VERDICT_COLOR = { ok: "green", missing: "red", altered: "red", unreachable: "gray" } as const;

/**
 * Re-reads this backup at every destination holding it and shows each copy's verdict: a full check
 * reads every byte against the SHA-256, a size check only looks that each object is there.
 */
export function ValidateBackupButton({ runId }: { runId: string }) {
  const [opened, { open, close }] = useDisclosure(false);
  const [depth, setDepth] = useState<"full" | "size">("full");
  const validate = useMutation({ mutationFn: () => unwrap(api.runs[":runId"].validate.$post({ param: { runId }, json: { depth } })) });
  const dismiss = () => {
    validate.reset();
    close();
  };
  return (
    <>
      <Button variant="default" onClick={open}>
        Validate…
      </Button>
      <Modal opened={opened} onClose={dismiss} title="Validate the stored copies" centered size="lg">
        <Stack>
          <Text size="sm">Each destination holding this backup is read again. A full check reads every byte and compares the SHA-256; a size check only looks that each object is there with its size.</Text>
          <SegmentedControl
            value={depth}
            onChange={(v) => setDepth(v as "full" | "size")}
            data={[
              { value: "full", label: "Full (SHA-256)" },
              { value: "size", label: "Sizes only" },
            ]}
          />
          {validate.isError && <ErrorState title="The copies were not validated" error={validate.error} />}
          {validate.data && validate.data.copies.length === 0 && <Text size="sm">No destination holds a copy of this backup.</Text>}
          {validate.data && validate.data.copies.length > 0 && (
            <Table aria-label="Verdict per copy">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Destination</Table.Th>
                  <Table.Th>Verdict</Table.Th>
                  <Table.Th>Detail</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {validate.data.copies.map((c) => (
                  <Table.Tr key={c.deliveryId}>
                    <Table.Td>{c.destinationName}</Table.Td>
                    <Table.Td>
                      <Badge color={VERDICT_COLOR[c.verdict]} variant="filled">{c.verdict}</Badge>
                    </Table.Td>
                    <Table.Td>{c.detail ?? (c.checked === "sha256" ? "every byte matches the SHA-256" : "every object there with its size")}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={dismiss}>
              Done
            </Button>
            <Button loading={validate.isPending} onClick={() => validate.mutate()}>
              {validate.data ? "Validate again" : "Validate"}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
