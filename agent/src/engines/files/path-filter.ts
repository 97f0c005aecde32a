import path from "node:path";
import { lazyRequire } from "../../lazy-require.js";

/** Loaded on the first match: the idle agent never matches a pattern. */
const picomatch = lazyRequire<typeof import("picomatch")>("picomatch");

/**
 * The include/exclude rules of a files datasource, on paths relative to the folder (`a/b/c.txt`).
 * picomatch syntax with `dot: true` (hidden files are files). A pattern without a slash matches the
 * NAME at any depth (`*.tmp` drops `logs/x.tmp` too, as in .gitignore); one with a slash is anchored
 * at the folder (`skip/**` drops `skip` and everything under it, not `keep/skip`). Exclude wins over
 * include. (picomatch's own `basename` option is not used: it also applies `skip/**` to the name
 * `skip` at any depth.)
 */
export interface PathFilter {
  /** Excluded: a file is left out; a directory is left out with everything under it (never descended). */
  excluded(rel: string): boolean;
  /** No include rules, or `rel` matches one. Whatever is under an included directory is included too. */
  included(rel: string): boolean;
  /** Whether include rules exist (then directories appear only on the way to something included). */
  readonly hasIncludes: boolean;
}

type Matcher = (rel: string) => boolean;

function compile(globs: readonly string[]): Matcher | null {
  if (globs.length === 0) return null;
  const byName = globs.filter((g) => !g.includes("/"));
  const byPath = globs.filter((g) => g.includes("/"));
  const name = byName.length > 0 ? picomatch()(byName, { dot: true }) : null;
  const full = byPath.length > 0 ? picomatch()(byPath, { dot: true }) : null;
  return (rel) => (name?.(path.posix.basename(rel)) ?? false) || (full?.(rel) ?? false);
}

export function createPathFilter(include: readonly string[] = [], exclude: readonly string[] = []): PathFilter {
  const inc = compile(include);
  const exc = compile(exclude);
  return {
    excluded: (rel) => (exc ? exc(rel) : false),
    included: (rel) => (inc ? inc(rel) : true),
    hasIncludes: inc !== null,
  };
}
