import { Modal } from "@mantine/core";
import { useMediaQuery } from "@mantine/hooks";
import { DatasourceForm } from "./datasource-form.js";
import type { DatasourceItem } from "./datasources-query.js";

/** The datasource form in a dialog; the whole screen on a phone, where a long form needs it. */
export function DatasourceModal({ opened, stored, onClose, onSaved }: { opened: boolean; stored?: DatasourceItem; onClose: () => void; onSaved: (id: string) => void }) {
  const phone = useMediaQuery("(max-width: 36em)");
  return (
    <Modal opened={opened} onClose={onClose} title={stored ? `Edit ${stored.name}` : "Add a datasource"} size="lg" fullScreen={phone === true}>
      {opened && <DatasourceForm {...(stored ? { stored } : {})} onSaved={onSaved} onCancel={onClose} />}
    </Modal>
  );
}
