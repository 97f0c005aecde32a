import { Modal } from "@mantine/core";
import { useMediaQuery } from "@mantine/hooks";
import { DestinationForm } from "./destination-form.js";
import type { DestinationItem } from "./destinations-query.js";

/** The destination form in a dialog; the whole screen on a phone. */
export function DestinationModal({ opened, stored, onClose, onSaved }: { opened: boolean; stored?: DestinationItem; onClose: () => void; onSaved: () => void }) {
  const phone = useMediaQuery("(max-width: 36em)");
  return (
    <Modal opened={opened} onClose={onClose} title={stored ? `Edit ${stored.name}` : "Add a destination"} size="lg" fullScreen={phone === true}>
      {opened && <DestinationForm {...(stored ? { stored } : {})} onSaved={onSaved} onCancel={onClose} />}
    </Modal>
  );
}
