import os from "node:os";
import { performance } from "node:perf_hooks";
import { HoldfastError, type PostgresConnection } from "@holdfast/shared";
import { buildConninfo } from "./conninfo.js";
import { createPassfile } from "./passfile.js";
import { killTree, redactSecrets, spawnTool, type ToolExit } from "./spawn-tool.js";
import type { ConnectionTestResult, DatabaseInfo, DumpHandle, Engine } from "./types.js";

export interface PostgresEngineOptions {
  pgDumpPath?: string;
  psqlPath?: string;
  /** Where per-run passfile dirs go; os.tmpdir() (which honours TMPDIR) by default. */
  tmpDir?: string;
}

/** The query testConnection runs: fixed text, nothing user-supplied in it. */
export const TEST_QUERY = "select version(), pg_database_size(current_database()), current_setting('server_version_num')";

/** The query listDatabases runs: connectable non-template databases; a size only where we may connect. */
export const LIST_DATABASES_QUERY =
  "select datname, case when has_database_privilege(datname, 'CONNECT') then pg_database_size(datname) end from pg_database where not datistemplate and datallowconn order by datname";

/** argv of pg_dump: the database, user and host only inside `--dbname=<conninfo>`, never positional. */
export function buildPgDumpArgs(connection: PostgresConnection): string[] {
  return [`--dbname=${buildConninfo(connection)}`, "--format=plain", "--no-password"];
}

export function buildPsqlTestArgs(connection: PostgresConnection): string[] {
  return [`--dbname=${buildConninfo(connection)}`, "--no-password", "-X", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", TEST_QUERY];
}

/** NUL-separated fields and records: a database name may hold a tab or a newline. */
export function buildPsqlListArgs(connection: PostgresConnection): string[] {
  return [`--dbname=${buildConninfo(connection)}`, "--no-password", "-X", "-A", "-t", "-z", "-0", "-v", "ON_ERROR_STOP=1", "-c", LIST_DATABASES_QUERY];
}

/** A minimal environment: nothing of the agent's own (tokens, HOLDFAST_*) reaches the tool. */
export function buildChildEnv(passfilePath: string | null): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin",
    LANG: "C.UTF-8",
    LC_ALL: "C.UTF-8",
    PGCONNECT_TIMEOUT: "10",
    PGAPPNAME: "holdfast-agent",
    ...(passfilePath ? { PGPASSFILE: passfilePath } : {}),
  };
}

function failure(code: "DUMP_FAILED" | "DB_CONNECTION_TEST_FAILED", what: string, exit: ToolExit, password?: string): HoldfastError {
  // Also the passfile's escaped spelling, in case a tool echoes the file back.
  const escaped = password?.replace(/\\/g, "\\\\").replace(/:/g, "\\:");
  const stderr = redactSecrets(exit.stderrTail.trim(), [password, escaped]);
  const why = exit.signal ? `was stopped by ${exit.signal}` : `exited with code ${exit.code}`;
  return new HoldfastError(code, `${what} ${why}`, { exitCode: exit.code, signal: exit.signal, stderr });
}

export class PostgresEngine implements Engine {
  readonly engine = "postgres" as const;
  readonly toolName = "pg_dump";
  private readonly pgDump: string;
  private readonly psql: string;
  private readonly tmpDir: string;

  constructor(opts: PostgresEngineOptions = {}) {
    this.pgDump = opts.pgDumpPath ?? "pg_dump";
    this.psql = opts.psqlPath ?? "psql";
    this.tmpDir = opts.tmpDir ?? os.tmpdir();
  }

  async toolVersion(): Promise<string | null> {
    const tool = spawnTool("pg_dump", this.pgDump, ["--version"], buildChildEnv(null));
    let out = "";
    tool.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    try {
      const exit = await tool.exited;
      return exit.code === 0 ? out.trim() : null;
    } catch {
      return null;
    }
  }

  async testConnection(connection: PostgresConnection): Promise<ConnectionTestResult> {
    const passfile = await createPassfile(this.tmpDir, connection.password);
    try {
      const started = performance.now();
      const tool = spawnTool("psql", this.psql, buildPsqlTestArgs(connection), buildChildEnv(passfile.path));
      let out = "";
      tool.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
      const exit = await tool.exited;
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      if (exit.code !== 0) throw failure("DB_CONNECTION_TEST_FAILED", "The connection test (psql)", exit, connection.password);
      const parts = out.trim().split("\t");
      const num = parts.length >= 3 ? Number(parts.pop()) : NaN;
      const size = parts.length >= 2 ? Number(parts.pop()) : NaN;
      return {
        latencyMs,
        serverVersion: parts.join("\t"),
        databaseSizeBytes: Number.isFinite(size) ? size : null,
        serverVersionNum: Number.isInteger(num) ? num : null,
      };
    } finally {
      await passfile.remove();
    }
  }

  async dump(connection: PostgresConnection): Promise<DumpHandle> {
    const passfile = await createPassfile(this.tmpDir, connection.password);
    let tool;
    try {
      tool = spawnTool("pg_dump", this.pgDump, buildPgDumpArgs(connection), buildChildEnv(passfile.path));
    } catch (err) {
      await passfile.remove();
      throw err;
    }
    const child = tool.child;
    let warnings: string[] = [];
    const done = tool.exited
      .then((exit) => {
        if (exit.code !== 0) throw failure("DUMP_FAILED", "pg_dump", exit, connection.password);
        const escaped = connection.password?.replace(/\\/g, "\\\\").replace(/:/g, "\\:");
        warnings = redactSecrets(exit.stderrTail, [connection.password, escaped])
          .split("\n")
          .map((l) => l.trim())
          .filter(Boolean);
      })
      // The passfile lives exactly as long as the tool that reads it.
      .finally(() => passfile.remove());
    return {
      stdout: tool.stdout,
      done,
      abort: () => killTree(child),
      warnings: () => warnings,
    };
  }

  async listDatabases(connection: PostgresConnection): Promise<DatabaseInfo[]> {
    const passfile = await createPassfile(this.tmpDir, connection.password);
    try {
      const tool = spawnTool("psql", this.psql, buildPsqlListArgs(connection), buildChildEnv(passfile.path));
      const chunks: Buffer[] = [];
      tool.stdout.on("data", (c: Buffer) => chunks.push(c));
      const exit = await tool.exited;
      if (exit.code !== 0) throw failure("DB_CONNECTION_TEST_FAILED", "Listing databases (psql)", exit, connection.password);
      // Records end with NUL; within one, the name and the size are NUL-separated too.
      const fields = Buffer.concat(chunks).toString("utf8").split("\0");
      const items: DatabaseInfo[] = [];
      for (let i = 0; i + 1 < fields.length; i += 2) {
        const name = fields[i]!.replace(/^\n/, "");
        const size = fields[i + 1]!;
        if (name === "") continue;
        items.push({ name, sizeBytes: size === "" ? null : Number(size) });
      }
      return items;
    } finally {
      await passfile.remove();
    }
  }
}
