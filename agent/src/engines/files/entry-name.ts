/** How much of a hostile name an error message carries. */
const SHOWN_CHARS = 200;

/**
 * A name from an archive or a folder, fit for an error message and a log line: control characters
 * (a newline could forge a log line, an escape sequence could drive a terminal) shown as `\xNN`,
 * backslashes doubled, cut at 200 characters.
 */
export function displayName(name: string): string {
  const escaped = name.replace(/[\\\u0000-\u001f\u007f-\u009f]/g, (c) => (c === "\\" ? "\\\\" : `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`));
  return escaped.length > SHOWN_CHARS ? `${escaped.slice(0, SHOWN_CHARS)}…` : escaped;
}

export type NameCheck = { ok: true; parts: string[] } | { ok: false; reason: string };

/**
 * The path components of an archive entry's name, or why it may not be extracted: absolute names,
 * `..` anywhere, NUL, and names that are empty once `.` and empty components are dropped (`./`, `//`).
 * A trailing `/` (directories) is fine.
 */
export function checkEntryName(name: string): NameCheck {
  if (name.includes("\0")) return { ok: false, reason: "the name holds a NUL byte" };
  if (name.startsWith("/")) return { ok: false, reason: "an absolute path" };
  const raw = name.split("/");
  if (raw.includes("..")) return { ok: false, reason: "a '..' component would climb out of the target" };
  const parts = raw.filter((p) => p !== "" && p !== ".");
  if (parts.length === 0) return { ok: false, reason: "an empty name" };
  return { ok: true, parts };
}
