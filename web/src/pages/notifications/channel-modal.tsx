import { Modal } from "@mantine/core";
import { useMediaQuery } from "@mantine/hooks";
import { ChannelForm } from "./channel-form.js";
import type { ChannelItem } from "./notifications-query.js";

/** The channel form in a dialog; the whole screen on a phone. */
export function ChannelModal({ opened, stored, onClose, onSaved }: { opened: boolean; stored?: ChannelItem; onClose: () => void; onSaved: () => void }) {
  const phone = useMediaQuery("(max-width: 36em)");
  return (
    <Modal opened={opened} onClose={onClose} title={stored ? `Edit ${stored.name}` : "Add a notification channel"} size="lg" fullScreen={phone === true}>
      {opened && <ChannelForm {...(stored ? { stored } : {})} onSaved={onSaved} onCancel={onClose} />}
    </Modal>
  );
}
