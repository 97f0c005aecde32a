import { randomBytes } from "node:crypto";
import { HoldfastError, type ErrorCode, type PostgresConnection } from "@holdfast/shared/protocol";
import { killTree, spawnFilter, spawnTool, type FilterProcess } from "../spawn-tool.js";
import { buildConninfo } from "./conninfo.js";
import { pgToolFailure } from "./pg-tools.js";

/** How a psql run is reported when it fails: its code (unless the cause is classified), the operation, what to mask. */
export interface PsqlFailure {
  code: ErrorCode;
  what: string;
  secrets: readonly string[];
}

/** psql with these arguments to its exit: its stdout, or its failure (pgToolFailure). */
export async function runPsql(psql: string, args: readonly string[], env: NodeJS.ProcessEnv, failure: PsqlFailure): Promise<Buffer> {
  const tool = spawnTool("psql", psql, args, env);
  const chunks: Buffer[] = [];
  tool.stdout.on("data", (c: Buffer) => chunks.push(c));
  const exit = await tool.exited;
  if (exit.code !== 0) throw pgToolFailure(failure.code, failure.what, exit, failure.secrets);
  return Buffer.concat(chunks);
}

/**
 * One psql connection kept open across several queries: what holding a snapshot needs (the exporting
 * transaction must stay open while pg_dump and the fingerprint use it). Each query is followed by an
 * `\echo` of a random marker, and its answer is what psql printed before the marker. Statements are
 * our own fixed text; nothing from a user reaches them.
 */
export class PsqlSession {
  private readonly marker = `__holdfast_${randomBytes(8).toString("hex")}__`;
  private buffered = "";
  private waiting: { resolve: (out: string) => void; reject: (err: unknown) => void } | null = null;
  private exitError: HoldfastError | null = null;

  private constructor(
    private readonly tool: FilterProcess,
    private readonly secrets: readonly string[],
    private readonly code: "DUMP_FAILED" | "RESTORE_FAILED",
  ) {
    tool.stdout.setEncoding("utf8").on("data", (s: string) => {
      this.buffered += s;
      this.deliver();
    });
    tool.exited.then(
      (exit) => this.fail(withStage(pgToolFailure(this.code, "The psql session", exit, this.secrets))),
      (err: unknown) => this.fail(err instanceof HoldfastError ? err : new HoldfastError(this.code, "psql session could not start", { stage: "snapshot" })),
    );
  }

  /** `code`: what a failure of the session is reported as (a dump's or a drill's), unless its cause is classified. */
  static open(psql: string, connection: PostgresConnection, env: NodeJS.ProcessEnv, secrets: readonly string[], code: "DUMP_FAILED" | "RESTORE_FAILED" = "DUMP_FAILED"): PsqlSession {
    const args = [`--dbname=${buildConninfo(connection)}`, "--no-password", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1"];
    return new PsqlSession(spawnFilter("psql", psql, args, env), secrets, code);
  }

  /** Runs `sql` (one or more statements, or a `\gexec`) and resolves with what it printed. */
  query(sql: string): Promise<string> {
    if (this.exitError) return Promise.reject(this.exitError);
    if (this.waiting) return Promise.reject(new HoldfastError("INTERNAL_ERROR", "psql session is busy"));
    return new Promise<string>((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.tool.stdin.write(`${sql}\n\\echo ${this.marker}\n`);
    });
  }

  /** Stops psql at once (a cancelled run); close() still settles. */
  kill(): void {
    killTree(this.tool.child);
  }

  /** Ends the transaction (if any) and the session; never throws. */
  async close(): Promise<void> {
    if (!this.exitError) this.tool.stdin.end("ROLLBACK;\n\\q\n");
    await this.tool.exited.catch(() => {});
  }

  private deliver(): void {
    const at = this.buffered.indexOf(`${this.marker}\n`);
    if (at < 0 || !this.waiting) return;
    const out = this.buffered.slice(0, at);
    this.buffered = this.buffered.slice(at + this.marker.length + 1);
    const w = this.waiting;
    this.waiting = null;
    w.resolve(out);
  }

  private fail(err: HoldfastError): void {
    this.exitError = err;
    const w = this.waiting;
    this.waiting = null;
    w?.reject(err);
  }
}

/** The session's failures are at stage `snapshot` (a drill reads it as the restore stage). */
function withStage(err: HoldfastError): HoldfastError {
  return new HoldfastError(err.code, err.message, { ...err.details, stage: "snapshot" }, err.retryable);
}
