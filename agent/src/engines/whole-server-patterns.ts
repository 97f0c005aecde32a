import { HoldfastError } from "@holdfast/shared/protocol";

/**
 * A database pattern as a regular expression: `*` any run of characters, `?` one, `[a-z]` / `[!a-z]`
 * one of a class, `{a,b}` either, `\x` the character x itself; everything else literal. Not picomatch: a database name is not a
 * path, and its `*` must cross a `/` too. A pattern that does not parse matches only itself.
 */
export function databaseGlob(pattern: string): RegExp {
  let re = "";
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === "\\" && i + 1 < pattern.length) re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    else if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else if (ch === "[" && pattern.indexOf("]", i + 2) !== -1) {
      const end = pattern.indexOf("]", i + 2);
      const body = pattern.slice(i + 1, end).replace(/\\/g, "\\\\");
      re += body.startsWith("!") ? `[^${body.slice(1)}]` : body.startsWith("^") ? `[\\${body}]` : `[${body}]`;
      i = end;
    } else if (ch === "{") {
      depth += 1;
      re += "(?:";
    } else if (ch === "}" && depth > 0) {
      depth -= 1;
      re += ")";
    } else if (ch === "," && depth > 0) re += "|";
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  try {
    if (depth === 0) return new RegExp(`^${re}$`, "s");
  } catch {
    // an odd class: the pattern is a name
  }
  return new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`, "s");
}

/** A database pattern matches a name equal to it, or one its glob matches. */
export function databaseMatches(name: string, pattern: string): boolean {
  return name === pattern || databaseGlob(pattern).test(name);
}

/** The names an include/exclude pair keeps, in the given order; no include keeps everything. */
export function selectDatabases(names: readonly string[], patterns: { include?: string[] | undefined; exclude?: string[] | undefined } | undefined): string[] {
  const include = patterns?.include ?? [];
  const exclude = patterns?.exclude ?? [];
  return names.filter((n) => (include.length === 0 || include.some((p) => databaseMatches(n, p))) && !exclude.some((p) => databaseMatches(n, p)));
}

export function noneMatched(where: "server" | "backup", available: string[], patterns: unknown): HoldfastError {
  const what = where === "server" ? "on the server" : "in the backup";
  const list = available.length === 0 ? "none" : available.slice(0, 20).join(", ") + (available.length > 20 ? ", ..." : "");
  return new HoldfastError("NO_DATABASE_MATCHED", `options.databases matches no database ${what} (${what}: ${list})`, {
    field: "options.databases",
    patterns,
    available: available.slice(0, 100),
  });
}
