import { z } from "zod";

/** Prefixed random ids (`run_…`, `agt_…`): readable in logs, unguessable, no coordination needed. */
export type IdPrefix = "run" | "agt" | "ds" | "dst" | "usr" | "req" | "evt" | "ses" | "dlv" | "tok" | "idem" | "sch" | "aud" | "ntc" | "nts" | "hc" | "cpr";

export function newId(prefix: IdPrefix): string {
  return `${prefix}_${globalThis.crypto.randomUUID().replaceAll("-", "")}`;
}

/**
 * The alphabet every id keeps to (what `newId` makes: `run_3f2a…`): an id becomes a path segment on
 * both sides (staging, spool), and `../x` can never be one.
 */
export const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** An id in a message or a request body. */
export const Id = z.string().regex(SAFE_ID, "must be an id: letters, digits, '_' and '-', at most 128");
