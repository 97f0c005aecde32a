import { HoldfastError, type PostgresConnection, type ResolvedBackupOptions } from "@holdfast/shared/protocol";
import { buildConninfo } from "./conninfo.js";

/**
 * A pattern reaches pg_dump as the value of ONE argv element (`--table=<pattern>`): no shell ever
 * sees it, and the `--opt=value` form means even a value starting with `-` could not become a flag.
 * The schema refuses `-`, NUL and line breaks already; this is the last check before argv.
 */
function patternArg(flag: string, pattern: string): string {
  if (pattern.length === 0 || pattern.startsWith("-") || /[\u0000\r\n]/.test(pattern)) {
    throw new HoldfastError("VALIDATION_FAILED", `Refused ${flag} pattern`, { flag });
  }
  return `${flag}=${pattern}`;
}

export interface PgDumpTarget {
  /** For the directory format: where pg_dump writes (a private temp dir of ours). */
  directory?: string;
  /** -j for the directory format. */
  jobs?: number;
  /** An exported snapshot (pg_export_snapshot) to dump from, so the drill's fingerprint sees the same data. */
  snapshot?: string;
}

/**
 * argv of pg_dump: the database, user and host only inside `--dbname=<conninfo>`, never positional.
 * When our codec compresses, pg_dump's own compression is off (`--compress=0`): compressing twice
 * costs CPU and gains nothing; with codec `none` pg_dump keeps its default for custom/directory.
 */
export function buildPgDumpArgs(connection: PostgresConnection, opts?: ResolvedBackupOptions, target: PgDumpTarget = {}): string[] {
  const args = [`--dbname=${buildConninfo(connection)}`, `--format=${opts?.format ?? "plain"}`, "--no-password"];
  if (!opts) return args;
  if (opts.format !== "plain" && opts.codec !== "none") args.push("--compress=0");
  if (opts.format === "directory") {
    if (!target.directory) throw new HoldfastError("INTERNAL_ERROR", "The directory format needs a target directory");
    args.push(`--file=${target.directory}`, `--jobs=${Math.max(1, target.jobs ?? 1)}`);
  }
  if (target.snapshot !== undefined) {
    if (!/^[0-9A-F]+(-[0-9A-F]+)+$/i.test(target.snapshot)) throw new HoldfastError("INTERNAL_ERROR", "Unexpected snapshot id");
    args.push(`--snapshot=${target.snapshot}`);
  }
  for (const p of opts.schemas.include) args.push(patternArg("--schema", p));
  for (const p of opts.schemas.exclude) args.push(patternArg("--exclude-schema", p));
  for (const p of opts.tables.include) args.push(patternArg("--table", p));
  for (const p of opts.tables.exclude) args.push(patternArg("--exclude-table", p));
  if (opts.schemaOnly) args.push("--schema-only");
  if (opts.dataOnly) args.push("--data-only");
  return args;
}

/** pg_dumpall for roles and tablespaces: the same conninfo rules (it takes `--dbname` too). */
export function buildPgDumpallGlobalsArgs(connection: PostgresConnection): string[] {
  return [`--dbname=${buildConninfo(connection)}`, "--globals-only", "--no-password"];
}
