import { HoldfastError } from "@holdfast/shared";

/** Where a page ended: the last run's creation time and id (runs sort by both, newest first). */
export interface RunCursor {
  createdAt: number;
  id: string;
}

/** Opaque to clients: base64url of `[createdAt, id]`. */
export function encodeRunCursor(c: RunCursor): string {
  return Buffer.from(JSON.stringify([c.createdAt, c.id])).toString("base64url");
}

/** The cursor a previous page gave, or VALIDATION_FAILED naming `cursor`. */
export function decodeRunCursor(cursor: string): RunCursor {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === "string" && value[1].length <= 128) {
      return { createdAt: value[0] as number, id: value[1] };
    }
  } catch {
    // falls through to the refusal
  }
  throw new HoldfastError("VALIDATION_FAILED", "Invalid query: cursor: not a cursor this server gave", { issues: [{ path: "cursor", message: "not a cursor this server gave" }] });
}
