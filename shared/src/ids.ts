/** Prefixed random ids (`run_…`, `agt_…`): readable in logs, unguessable, no coordination needed. */
export type IdPrefix = "run" | "agt" | "ds" | "dst" | "usr" | "req" | "evt" | "ses" | "dlv" | "tok" | "idem" | "sch";

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${globalThis.crypto.randomUUID().replaceAll("-", "")}`;
}
