import fs from "node:fs";
import path from "node:path";
import type { ErrorCode, HoldfastError } from "@holdfast/shared/protocol";
import { toolEnv, type ToolExit } from "../spawn-tool.js";
import { toolFailure } from "../failure-codes.js";
import { classifyPgFailure } from "./classify-failure.js";

/** Where Debian/Ubuntu's postgresql-common installs each major's client tools. */
export const DEFAULT_PG_BIN_ROOT = "/usr/lib/postgresql";

/** Majors with a `<root>/<major>/bin/pg_dump`, newest first. */
export function installedPgMajors(root: string = DEFAULT_PG_BIN_ROOT): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return [];
  }
  return names
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((m) => {
      try {
        return fs.statSync(path.join(root, String(m), "bin", "pg_dump")).isFile();
      } catch {
        return false;
      }
    })
    .sort((a, b) => b - a);
}

/**
 * The client major to use against a server: the same major if installed (its output restores most
 * faithfully), else the newest one above it (pg_dump dumps older servers, never newer ones). null
 * when every installed major is older than the server, or nothing is installed.
 */
export function pickPgMajor(installed: readonly number[], serverMajor: number | null): number | null {
  if (installed.length === 0) return null;
  if (serverMajor === null) return Math.max(...installed);
  if (installed.includes(serverMajor)) return serverMajor;
  const newer = installed.filter((m) => m > serverMajor);
  return newer.length > 0 ? Math.max(...newer) : null;
}

export interface PgToolPaths {
  pgDump: string;
  pgDumpall: string;
  pgRestore: string;
  psql: string;
  /** The major picked from the version dirs, or null when falling back to PATH. */
  major: number | null;
}

/**
 * Paths of the client tools for a server major. With several versions installed the match is by
 * major; without any version dir the tools come from PATH (and preflight compares versions).
 */
export function resolvePgTools(root: string, serverMajor: number | null): PgToolPaths {
  const installed = installedPgMajors(root);
  if (installed.length === 0) return { pgDump: "pg_dump", pgDumpall: "pg_dumpall", pgRestore: "pg_restore", psql: "psql", major: null };
  // All too old: the newest, so preflight reads its version and refuses it by name.
  const major = pickPgMajor(installed, serverMajor) ?? installed[0]!;
  const bin = (t: string) => path.join(root, String(major), "bin", t);
  return { pgDump: bin("pg_dump"), pgDumpall: bin("pg_dumpall"), pgRestore: bin("pg_restore"), psql: bin("psql"), major };
}

/** libpq's connect_timeout, in seconds, unless the engine's options say otherwise. */
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;

/** The tools' environment (spawn-tool.ts), with libpq's: the passfile, a connect timeout, our name in pg_stat_activity. */
export function buildChildEnv(passfilePath: string | null, connectTimeoutSeconds = DEFAULT_CONNECT_TIMEOUT_SECONDS): NodeJS.ProcessEnv {
  return toolEnv({
    PGCONNECT_TIMEOUT: String(connectTimeoutSeconds),
    PGAPPNAME: "holdfast-agent",
    ...(passfilePath ? { PGPASSFILE: passfilePath } : {}),
  });
}

/** A PostgreSQL tool's failure: classified by classifyPgFailure, else `code`; every spelling of the password masked. */
export function pgToolFailure(code: ErrorCode, what: string, exit: ToolExit, secrets: readonly string[]): HoldfastError {
  return toolFailure(code, what, exit, { secrets, classify: classifyPgFailure });
}
