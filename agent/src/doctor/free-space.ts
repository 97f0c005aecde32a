import { freeBytesAt } from "../host/free-space.js";
import type { Finding } from "./finding.js";

const GIB = 1024 ** 3;
/** Below this a dump of any size is likely to fail. */
export const FAIL_BELOW_BYTES = 256 * 1024 ** 2;
/** Below this a mid-sized database's dump may not fit. */
export const WARN_BELOW_BYTES = 2 * GIB;

function human(bytes: number): string {
  return bytes >= GIB ? `${(bytes / GIB).toFixed(1)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

/** Free space where `dir` lives (its nearest existing parent): a dump is staged there before upload. */
export async function checkFreeSpace(check: string, label: string, dir: string, limits = { fail: FAIL_BELOW_BYTES, warn: WARN_BELOW_BYTES }): Promise<Finding[]> {
  const free = await freeBytesAt(dir);
  if (free === null) return [{ check, status: "warn", summary: `could not read the free space of ${label} ${dir}`, fix: "check that the path exists and is readable" }];
  const summary = `${human(free)} free for ${label} ${dir}`;
  if (free < limits.fail) return [{ check, status: "fail", summary, fix: `free space on that file system (dumps are staged there before upload), at least ${human(limits.warn)}` }];
  if (free < limits.warn) return [{ check, status: "warn", summary, fix: `a dump larger than ${human(free)} will fail: free space or point TMPDIR at a larger file system` }];
  return [{ check, status: "ok", summary }];
}
