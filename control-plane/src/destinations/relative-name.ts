import { HoldfastError } from "@holdfast/shared";

/** Marks an object still being written; listings skip it. */
export const TEMP_SUFFIX = ".holdfast-tmp";

function refuse(name: string): HoldfastError {
  return new HoldfastError("DELIVERY_FAILED", `Refused a path outside the destination: ${JSON.stringify(name)}`, undefined, false);
}

const badSegment = (s: string) => s === "" || s === "." || s === "..";

/**
 * The segments of an object name, or a refusal: no leading `/`, no empty, `.` or `..` segment, no
 * backslash or control character. Every implementation checks names here before touching anything.
 */
export function nameSegments(name: string): string[] {
  if (name.length === 0 || name.length > 1024 || /[\u0000-\u001f\u007f\\]/.test(name)) throw refuse(name);
  const segments = name.split("/");
  if (segments.some(badSegment)) throw refuse(name);
  return segments;
}

/**
 * A listing prefix split into the folder to walk and the rest: `ds_1/2026/0` → `ds_1/2026` and `0`.
 * The last segment may be partial (or empty, when the prefix ends with `/`).
 */
export function splitPrefix(prefix: string): { folder: string[]; rest: string } {
  if (prefix === "") return { folder: [], rest: "" };
  if (prefix.length > 1024 || /[\u0000-\u001f\u007f\\]/.test(prefix)) throw refuse(prefix);
  const segments = prefix.split("/");
  const rest = segments.pop() ?? "";
  if (segments.some(badSegment) || rest === "." || rest === "..") throw refuse(prefix);
  return { folder: segments, rest };
}
