import { HoldfastError } from "@holdfast/shared";

export interface ByteSpan {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * One `Range` of RFC 9110 (§14.1.2) over `size` bytes: `bytes=a-b`, `bytes=a-` (to the end) or
 * `bytes=-n` (the last n). Null without a header, or for another unit (which a server must ignore).
 * An end past the last byte is clamped. A start at or past the end, a zero suffix, or any range of
 * an empty artifact is 416 RANGE_NOT_SATISFIABLE (`details.sizeBytes` for `Content-Range: bytes
 * *\/size`); several ranges, or an end before its start, are refused as a bad request.
 */
export function parseRange(header: string | undefined, size: number): ByteSpan | null {
  if (header === undefined) return null;
  const value = header.trim();
  if (!/^bytes=/i.test(value)) {
    if (/^[!#$%&'*+.^_`|~\w-]+=/.test(value)) return null;
    throw badRange("Range must look like bytes=a-b, bytes=a- or bytes=-n");
  }
  const spec = value.slice(6).trim();
  if (spec.includes(",")) throw badRange("Ask for one range at a time (bytes=a-b, bytes=a- or bytes=-n)");
  const m = /^(\d{0,15})-(\d{0,15})$/.exec(spec);
  if (!m || (m[1] === "" && m[2] === "")) throw badRange("Range must look like bytes=a-b, bytes=a- or bytes=-n");
  const unsatisfiable = (what: string) => new HoldfastError("RANGE_NOT_SATISFIABLE", `${what}; the artifact has ${size} bytes`, { sizeBytes: size });
  if (m[1] === "") {
    const last = Number(m[2]);
    if (last === 0 || size === 0) throw unsatisfiable(`Range asks for the last ${last} bytes`);
    return { start: Math.max(0, size - last), end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== "" && Number(m[2]) < start) throw badRange(`The range ends (${m[2]}) before it starts (${start})`);
  if (start >= size) throw unsatisfiable(`Range starts at ${start}`);
  return { start, end: m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1) };
}

function badRange(message: string): HoldfastError {
  return new HoldfastError("VALIDATION_FAILED", message, { header: "range" });
}
