import { Button, Group, Select, TextInput } from "@mantine/core";
import { useEffect, useState } from "react";
import { AUDIT_ACTIONS, type AuditSearch } from "./audit-search.js";

/** A text filter applied when the field is left or Enter is pressed, not at each key (each would be a request). */
function CommittedText({ label, placeholder, value, onCommit, w }: { label: string; placeholder: string; value: string | undefined; onCommit: (v: string) => void; w: number }) {
  const [draft, setDraft] = useState(value ?? "");
  useEffect(() => setDraft(value ?? ""), [value]);
  const commit = () => draft.trim() !== (value ?? "") && onCommit(draft.trim());
  return (
    <TextInput
      label={label}
      placeholder={placeholder}
      value={draft}
      onChange={(e) => setDraft(e.currentTarget.value)}
      onBlur={commit}
      onKeyDown={(e) => e.key === "Enter" && commit()}
      w={w}
    />
  );
}

/** The filters of the audit page; each change goes to the URL (`onChange`), which the list follows. */
export function AuditFilters({ search, onChange }: { search: AuditSearch; onChange: (next: AuditSearch) => void }) {
  const set = <K extends keyof AuditSearch>(key: K, value: AuditSearch[K] | null | "") => onChange({ ...search, [key]: value === null || value === "" ? undefined : value });
  const actions = search.action && !AUDIT_ACTIONS.includes(search.action) ? [search.action, ...AUDIT_ACTIONS] : AUDIT_ACTIONS;
  return (
    <Group align="flex-end" gap="sm" mb="md" wrap="wrap" role="search" aria-label="Filter the audit log">
      <CommittedText label="Who" placeholder="E-mail or user id" value={search.actor} onCommit={(v) => set("actor", v)} w={220} />
      <Select label="Action" placeholder="All" data={[...actions]} value={search.action ?? null} onChange={(v) => set("action", v)} clearable searchable w={260} />
      <CommittedText label="Object" placeholder="An id: dst_…, run_…" value={search.object} onCommit={(v) => set("object", v)} w={200} />
      <TextInput type="date" label="From" value={search.from ?? ""} onChange={(e) => set("from", e.currentTarget.value)} w={160} />
      <TextInput type="date" label="To" value={search.to ?? ""} onChange={(e) => set("to", e.currentTarget.value)} w={160} />
      <Button variant="subtle" onClick={() => onChange({})} disabled={Object.values(search).every((v) => v === undefined)}>
        Clear filters
      </Button>
    </Group>
  );
}
