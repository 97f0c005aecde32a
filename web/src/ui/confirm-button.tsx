import { Button, type ButtonProps, Group, Modal, Stack, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { ErrorState } from "./states.js";

interface ConfirmButtonProps {
  /** The button's words, and the confirming button's. */
  label: string;
  /** The button's accessible name when its words alone are ambiguous in a list ("Revoke ci"). */
  ariaLabel?: string;
  title: string;
  /** What the action does and what follows from it. */
  children: ReactNode;
  /** What to say when it failed ("The token was not revoked"). */
  failed: string;
  onConfirm: () => Promise<unknown>;
  color?: ButtonProps["color"];
}

/** An action that cannot be undone, done only after a dialog that says what it does; its failure is shown in the dialog. */
export function ConfirmButton({ label, ariaLabel, title, children, failed, onConfirm, color = "red" }: ConfirmButtonProps) {
  const [opened, { open, close }] = useDisclosure(false);
  const action = useMutation({ mutationFn: onConfirm, onSuccess: close });
  const dismiss = () => {
    action.reset();
    close();
  };
  return (
    <>
      <Button variant="subtle" color={color} size="compact-sm" onClick={open} aria-label={ariaLabel ?? label}>
        {label}
      </Button>
      <Modal opened={opened} onClose={dismiss} title={title} centered>
        <Stack>
          <Text size="sm" component="div">
            {children}
          </Text>
          {action.isError && <ErrorState title={failed} error={action.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={dismiss}>
              Cancel
            </Button>
            <Button color={color} loading={action.isPending} onClick={() => action.mutate()}>
              {label}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}
