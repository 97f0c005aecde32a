import { TransferCapMiBps } from "@holdfast/shared";
import { ApiError } from "@holdfast/shared";
import { Button, Modal, NumberInput, Stack, Text } from "@mantine/core";
import { schemaResolver, useForm } from "@mantine/form";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { z } from "zod";
import { api, unwrap } from "../../api/client.js";
import { fieldErrorsFrom } from "../../ui/form-errors.js";
import { FormActions } from "../../ui/form-actions.js";
import { ErrorState } from "../../ui/states.js";
import { AGENTS_QUERY_KEY, type AgentItem } from "./agents-query.js";

/** The form's field: empty means no cap, as `null` does for the API. */
const CapFields = z.object({ transferCapMiBps: z.union([z.literal(""), TransferCapMiBps]) });
type CapFields = z.input<typeof CapFields>;

/** A cap as the console shows it. */
export const capText = (mibps: number | null) => (mibps === null ? "none" : `${mibps} MiB/s`);

/** Edits an agent's upload cap: an upload under way adopts the new value from its next bytes. */
export function EditTransferCapButton({ agent }: { agent: AgentItem }) {
  const [opened, { open, close }] = useDisclosure(false);
  const queryClient = useQueryClient();
  const form = useForm<CapFields>({
    initialValues: { transferCapMiBps: agent.transferCapMiBps ?? "" },
    validate: schemaResolver(CapFields, { sync: true }),
  });
  const save = useMutation({
    mutationFn: (values: CapFields) => {
      const { transferCapMiBps } = CapFields.parse(values);
      return unwrap(api.agents[":id"].$patch({ param: { id: agent.id }, json: { transferCapMiBps: transferCapMiBps === "" ? null : transferCapMiBps } }));
    },
    onSuccess: async (saved) => {
      queryClient.setQueryData<AgentItem[]>(AGENTS_QUERY_KEY, (items) => items?.map((a) => (a.id === agent.id ? { ...a, transferCapMiBps: saved.transferCapMiBps } : a)));
      dismiss();
      await queryClient.invalidateQueries({ queryKey: AGENTS_QUERY_KEY });
    },
    onError: (error) => {
      if (error instanceof ApiError) form.setErrors(fieldErrorsFrom(error, ["transferCapMiBps"]));
    },
  });
  const dismiss = () => {
    save.reset();
    form.reset();
    close();
  };
  const start = () => {
    form.setValues({ transferCapMiBps: agent.transferCapMiBps ?? "" });
    open();
  };
  return (
    <>
      <Button variant="subtle" size="compact-sm" onClick={start} aria-label={`Edit the upload cap of ${agent.name}`}>
        Edit
      </Button>
      <Modal opened={opened} onClose={dismiss} title={`Upload cap of ${agent.name}`} centered>
        <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate>
          <Stack>
            <Text size="sm">
              The control plane reads this agent's backups no faster than this, so its host's network carries no more. An upload under way slows down or speeds up at once.
            </Text>
            {save.isError && <ErrorState title="The cap was not changed" error={save.error} />}
            <NumberInput label="Upload cap (MiB/s)" description="At least 0.1; fractions allowed. Empty for none." min={0} decimalScale={2} data-autofocus {...form.getInputProps("transferCapMiBps")} />
            <FormActions onCancel={dismiss} submitLabel="Save" pending={save.isPending} />
          </Stack>
        </form>
      </Modal>
    </>
  );
}
