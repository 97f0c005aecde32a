import type { DrillMismatch } from "@holdfast/shared/protocol";
import type { Fingerprint } from "../engines/types.js";

export interface Comparison {
  verified: boolean;
  checked: number;
  mismatches: DrillMismatch[];
}

const MAX_MISMATCHES = 50;

function describe(entry: Fingerprint["items"][string] | undefined): string | null {
  if (!entry) return null;
  return entry.rows === undefined ? `checksum=${entry.checksum}` : `rows=${entry.rows} checksum=${entry.checksum}`;
}

/**
 * Source against restored copy, item by item. With `onlyRestored` (a backup filtered to some tables
 * or schemas), items absent from the copy are not counted: the source has tables the backup was told
 * to leave out. Anything the copy has must match, and the copy must not be empty.
 */
export function compareFingerprints(source: Fingerprint, restored: Fingerprint, opts: { onlyRestored?: boolean } = {}): Comparison {
  const names = new Set([...Object.keys(restored.items), ...(opts.onlyRestored ? [] : Object.keys(source.items))]);
  const mismatches: DrillMismatch[] = [];
  for (const item of [...names].sort()) {
    const expected = describe(source.items[item]);
    const found = describe(restored.items[item]);
    if (expected !== found && mismatches.length < MAX_MISMATCHES) mismatches.push({ item: item.slice(0, 500), expected, found });
    else if (expected !== found) break;
  }
  const emptyCopy = names.size === 0 && Object.keys(source.items).length > 0;
  if (emptyCopy) mismatches.push({ item: "(restored copy)", expected: `${Object.keys(source.items).length} items`, found: "nothing" });
  return { verified: mismatches.length === 0, checked: names.size, mismatches };
}
