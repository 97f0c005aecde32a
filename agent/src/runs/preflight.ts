import fs from "node:fs";
import zlib from "node:zlib";
import { HoldfastError, isWholeServer, resolveBackupOptions, type CommandData, type ErrorCode, type ResolvedBackupOptions } from "@holdfast/shared/protocol";
import { isDatabaseFailureCode } from "../engines/failure-codes.js";
import { engineFor } from "../engines/registry.js";
import type { ConnectionTestResult } from "../engines/types.js";
import { parseToolMajor, toolVersionLine } from "../engines/tool-version.js";
import { AGE_BIN, ageToolAvailable } from "../pipeline/age-tool.js";
import { ensurePrivateDir, probeWritable } from "../fs-safe.js";
import { freeBytesAt } from "../host/free-space.js";
import { requireDatasource } from "../store/datasources.js";
import { lastCompletedSize } from "../store/run-lookups.js";
import type { RunContext } from "./context.js";

export type PreflightResult = CommandData<"validateServerBackupPrerequisites">;

/** What a preflight learnt that the run it admits may reuse a moment later (not part of the answer). */
export interface PreflightSeen {
  /** The connection test's answer: the run does not connect twice to learn the server's version. */
  server?: ConnectionTestResult;
}
type Issue = PreflightResult["blockingIssues"][number];

/** A real write in the staging root (O_EXCL, 0600, fsync), removed at once. */
export async function probeStagingWritable(stagingRoot: string): Promise<boolean> {
  try {
    ensurePrivateDir(stagingRoot);
  } catch {
    return false;
  }
  return probeWritable(stagingRoot);
}

/** gzip: a round trip through node:zlib; zstd: the tool answers `--version`; none: always. */
export async function codecAvailable(codec: ResolvedBackupOptions["codec"], zstdPath = "zstd"): Promise<boolean> {
  if (codec === "none") return true;
  if (codec === "zstd") return (await toolVersionLine(zstdPath)) !== null;
  try {
    const sample = Buffer.from("holdfast codec probe");
    return zlib.gunzipSync(zlib.gzipSync(sample)).equals(sample);
  } catch {
    return false;
  }
}

/**
 * A warning when a run encrypts and the `age` tool does not answer: the run still works, through the
 * age-encryption library, on the agent's own core and several times slower (docs/decisions.md, "The
 * age tool in the pipeline"). Null when nothing is encrypted or the tool is there.
 */
export async function encryptionToolIssue(options: Pick<ResolvedBackupOptions, "encryption">, ageBin = AGE_BIN): Promise<Issue | null> {
  if (!options.encryption || (await ageToolAvailable(ageBin))) return null;
  return { code: "AGE_TOOL_MISSING", message: "the age tool is not installed or not on PATH: encrypting with the built-in library, slower and on the agent's own core" };
}

/**
 * The blocking issue of a failed connection test: its own code when it is one of the database causes
 * (DATABASE_AUTH_FAILED, _NOT_FOUND, _UNREACHABLE) or a missing client tool, else
 * DB_CONNECTION_TEST_FAILED; the message with the tool's first stderr line when it does not hold it yet.
 */
function connectionIssue(err: unknown): Issue {
  if (!(err instanceof HoldfastError)) return { code: "DB_CONNECTION_TEST_FAILED", message: "The connection test failed" };
  const stderr = typeof err.details?.stderr === "string" ? (err.details.stderr.split("\n")[0] ?? "") : "";
  const message = stderr && !err.message.includes(stderr) ? `${err.message}: ${stderr}` : err.message;
  const code = isDatabaseFailureCode(err.code) || err.code === "TOOL_NOT_FOUND" ? err.code : "DB_CONNECTION_TEST_FAILED";
  return { code, message: message.slice(0, 500) };
}

/**
 * validateServerBackupPrerequisites, and what startBackup runs before it accepts a run. Blocking: no
 * dump tool, a dump tool older than the server's major, no codec, a staging dir we cannot write, less
 * free space than the datasource's last artifact, a database that refuses the credentials, does not
 * exist or cannot be reached. Warning: less than twice that space, versions that could not be read.
 */
export async function preflight(ctx: RunContext, datasourceId: string, given?: ResolvedBackupOptions, seen?: PreflightSeen): Promise<PreflightResult> {
  const ds = requireDatasource(ctx.store, datasourceId);
  const options = given ?? resolveBackupOptions(undefined, ds.engine, isWholeServer(ds.connection));
  const engine = engineFor(ctx.engines, ds.engine);
  const blockingIssues: Issue[] = [];
  const warnings: Issue[] = [];

  const [connection, stagingWritable, freeBytes, codecOk, ageIssue] = await Promise.all([
    engine.testConnection(ds.connection).then(
      (r) => ({ ok: true as const, r }),
      (err: unknown) => ({ ok: false as const, err }),
    ),
    probeStagingWritable(ctx.stagingRoot),
    freeBytesAt(ctx.stagingRoot),
    codecAvailable(options.codec),
    encryptionToolIssue(options),
  ]);
  if (seen && connection.ok) seen.server = connection.r;
  const rule = engine.versionRule;
  const serverMajor = connection.ok && rule ? rule.serverMajor(connection.r) : null;
  // The server's major first: with several client versions installed it decides which pg_dump runs.
  const version = await engine.toolVersion(serverMajor);
  const codec = { name: options.codec, available: codecOk };
  const toolMajor = version === null ? null : rule ? rule.toolMajor(version) : parseToolMajor(version);
  // Without a rule any version of the tool will do.
  const compatible = !rule ? true : toolMajor !== null && serverMajor !== null ? toolMajor >= serverMajor : null;
  const lastDumpBytes = lastCompletedSize(ctx.store, datasourceId);
  const own = await engine.preflight?.(ds.connection, options).catch(() => null);
  if (own) {
    blockingIssues.push(...own.blockingIssues);
    warnings.push(...own.warnings);
  }

  if (version === null) {
    blockingIssues.push({ code: "TOOL_NOT_FOUND", message: `${engine.toolName} is not installed or not on PATH` });
  } else if (compatible === false) {
    blockingIssues.push({
      code: "TOOL_TOO_OLD",
      message: `${engine.toolName} ${toolMajor} cannot dump a ${rule?.server ?? "newer"} ${serverMajor} server; install ${engine.toolName} ${serverMajor} or newer`,
    });
  } else if (compatible === null && connection.ok) {
    warnings.push({ code: "TOOL_VERSION_UNKNOWN", message: `Could not compare the ${engine.toolName} version with the server's (${version})` });
  }
  if (!connection.ok) blockingIssues.push(connectionIssue(connection.err));
  if (!codec.available) {
    const message = options.codec === "zstd" ? "the zstd tool is not installed or not on PATH" : "gzip (zlib) is not available in this Node.js build";
    blockingIssues.push({ code: options.codec === "zstd" ? "TOOL_NOT_FOUND" : "CODEC_UNAVAILABLE", message });
  }
  if (ageIssue) warnings.push(ageIssue);
  if (!stagingWritable) blockingIssues.push({ code: "STAGING_NOT_WRITABLE", message: `Cannot write in the staging dir ${ctx.stagingRoot}` });
  if (freeBytes !== null && lastDumpBytes !== null) {
    if (freeBytes < lastDumpBytes) {
      blockingIssues.push({ code: "INSUFFICIENT_SPACE", message: `${freeBytes} bytes free in staging, the last artifact took ${lastDumpBytes}` });
    } else if (freeBytes < 2 * lastDumpBytes) {
      warnings.push({ code: "LOW_SPACE", message: `${freeBytes} bytes free in staging, less than twice the last artifact (${lastDumpBytes})` });
    }
  } else if (freeBytes === null) {
    warnings.push({ code: "FREE_SPACE_UNKNOWN", message: "Could not read the free space of the staging dir" });
  }

  return {
    ok: blockingIssues.length === 0,
    blockingIssues,
    warnings,
    toolStatus: {
      tool: engine.toolName,
      found: version !== null,
      version,
      toolMajor,
      serverMajor,
      compatible,
      codec,
      stagingWritable,
      freeBytes,
      lastDumpBytes,
    },
  };
}

/**
 * Blocking issues that are catalog errors of their own, in the order a refusal names them: what no
 * retry can fix first (the credentials, the database's name, a tool to install), then the server
 * that could not be reached (retried). Anything else is PRECONDITION_FAILED.
 */
const OWN_CODES: readonly ErrorCode[] = ["DATABASE_AUTH_FAILED", "DATABASE_NOT_FOUND", "NO_DATABASE_MATCHED", "TOOL_NOT_FOUND", "DATABASE_UNREACHABLE"];

/**
 * Refuses a run the preflight found blocked, with `details.blockingIssues` (and warnings): the code
 * of its most telling issue when that is a catalog error of its own (OWN_CODES: DATABASE_AUTH_FAILED
 * 422, DATABASE_NOT_FOUND 422, TOOL_NOT_FOUND 503, DATABASE_UNREACHABLE 503), else 503
 * PRECONDITION_FAILED (a tool too old, no space, a staging dir we cannot write...).
 */
export function assertPreflightPassed(datasourceId: string, result: PreflightResult): void {
  if (result.ok) return;
  const own = OWN_CODES.map((code) => result.blockingIssues.find((i) => i.code === code)).find((i) => i !== undefined);
  const first = own ?? result.blockingIssues[0];
  throw new HoldfastError(own ? (own.code as ErrorCode) : "PRECONDITION_FAILED", `The backup cannot start: ${first?.message ?? "a prerequisite is missing"}`, {
    datasourceId,
    blockingIssues: result.blockingIssues,
    warnings: result.warnings,
  });
}
