import { Button, Modal, Select, Stack, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client.js";
import { queryKeys } from "../../api/query-keys.js";
import { FormActions } from "../../ui/form-actions.js";
import { ErrorState } from "../../ui/states.js";
import { destinationsQuery } from "../schedules/schedules-query.js";
import { runDeliveriesQuery } from "./run-query.js";

/**
 * Copies this backup to a destination that has no copy of it: a new delivery, followed in the
 * deliveries list like the others. Destinations holding it, or being written to, are not offered.
 */
export function CopyBackupButton({ runId }: { runId: string }) {
  const [opened, { open, close }] = useDisclosure(false);
  const [destinationId, setDestinationId] = useState<string | null>(null);
  const queryClient = useQueryClient();
  const destinations = useQuery({ ...destinationsQuery, enabled: opened });
  const deliveries = useQuery({ ...runDeliveriesQuery(runId), enabled: opened });
  const holding = new Set((deliveries.data ?? []).filter((d) => d.deletedAt === null && ["completed", "pending", "running"].includes(d.state)).map((d) => d.destinationId));
  const choices = (destinations.data ?? []).filter((d) => !holding.has(d.id));
  const copy = useMutation({
    mutationFn: (id: string) => unwrap(api.runs[":runId"].copies.$post({ param: { runId }, json: { destinationId: id } })),
    onSuccess: async () => {
      dismiss();
      await queryClient.invalidateQueries({ queryKey: queryKeys.runDeliveries(runId) });
    },
  });
  const dismiss = () => {
    copy.reset();
    setDestinationId(null);
    close();
  };
  return (
    <>
      <Button variant="default" onClick={open}>
        Copy to destination…
      </Button>
      <Modal opened={opened} onClose={dismiss} title="Copy this backup to another destination" centered>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (destinationId) copy.mutate(destinationId);
          }}
          noValidate
        >
          <Stack>
            <Text size="sm">The control plane copies the backup from where it is kept, checks its SHA-256 on the way, and writes it with its sidecar. The copy shows in the deliveries below.</Text>
            {copy.isError && <ErrorState title="The copy did not start" error={copy.error} />}
            <Select
              label="Destination"
              placeholder={destinations.isSuccess && choices.length === 0 ? "Every destination holds a copy" : "Choose a destination"}
              data={choices.map((d) => ({ value: d.id, label: d.name }))}
              value={destinationId}
              onChange={setDestinationId}
              required
            />
            <FormActions onCancel={dismiss} submitLabel="Copy" pending={copy.isPending} />
          </Stack>
        </form>
      </Modal>
    </>
  );
}
