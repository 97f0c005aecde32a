import fs from "node:fs";
import path from "node:path";
import { PassThrough } from "node:stream";
import { vi } from "vitest";
import { artifactExtension, HoldfastError, type PostgresConnection, type ResolvedBackupOptions } from "@holdfast/shared/protocol";
import type { DumpHandle, Engine } from "../engines/types.js";
import { runPipeline } from "../pipeline/run-pipeline.js";
import { ManualClock } from "./helpers.js";

/**
 * Test-only: a dump of `connection` staged through the agent's pipeline (compressed, encrypted when
 * the options say so) in a fresh run dir under `tmp`, as a backup run stages it.
 */
export async function stageBackup<C>(engine: Engine<C>, connection: C, resolved: ResolvedBackupOptions, opts: { tmp: string; runId: string }) {
  const runDir = fs.mkdtempSync(path.join(opts.tmp, "run-"));
  let dump!: DumpHandle;
  const artifact = await runPipeline({
    // As a backup run does: a zstd dump's tools write straight into zstd where the engine can.
    dump: async (stdoutTo) => (dump = await engine.dump(connection, resolved, stdoutTo ? { stdoutTo } : {})),
    runDir,
    runId: opts.runId,
    clock: new ManualClock(),
    compression: { codec: resolved.codec, level: resolved.level },
    extension: artifactExtension(resolved.format, resolved.codec, Boolean(resolved.encryption)),
    ...(resolved.encryption ? { encryption: resolved.encryption } : {}),
  });
  return { artifact, dump };
}

export interface HeldDump {
  out: PassThrough;
  finish(): void;
  fail(): void;
  aborted: boolean;
}

/**
 * Test-only. An engine whose dumps the test ends by hand: a run stays `running` exactly as long as
 * the test wants. abort() behaves like a killed tool: the stream ends and `done` rejects.
 */
export class HeldEngine implements Engine<PostgresConnection> {
  readonly engine = "postgres" as const;
  readonly toolName = "pg_dump";
  readonly dumps: HeldDump[] = [];
  readonly order: string[] = [];
  toolVersionLine: string | null = "pg_dump (PostgreSQL) 16.2";
  serverVersionNum = 160002;
  connectionError: HoldfastError | null = null;
  /** How many times anything connected to test the connection. */
  connectionTests = 0;

  async toolVersion() {
    return this.toolVersionLine;
  }
  async testConnection() {
    this.connectionTests += 1;
    if (this.connectionError) throw this.connectionError;
    return { latencyMs: 1, serverVersion: "PostgreSQL 16.2", databaseSizeBytes: 1, serverVersionNum: this.serverVersionNum };
  }
  async listDatabases() {
    return [{ name: "held", sizeBytes: 1 }];
  }
  async restore(): Promise<never> {
    throw new HoldfastError("FEATURE_NOT_AVAILABLE", "HeldEngine does not restore");
  }
  async dump(connection: { database: string }): Promise<DumpHandle> {
    this.order.push(connection.database);
    const out = new PassThrough();
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    done.catch(() => {});
    const held: HeldDump = {
      out,
      aborted: false,
      finish: () => {
        out.end("-- dump\n");
        resolve();
      },
      fail: () => {
        out.end();
        reject(new HoldfastError("DUMP_FAILED", "held dump failed", { stderr: "" }));
      },
    };
    this.dumps.push(held);
    return {
      stdout: out,
      done,
      abort: () => {
        if (held.aborted) return false;
        held.aborted = true;
        out.destroy();
        reject(new HoldfastError("DUMP_FAILED", "held dump was stopped by SIGTERM", { signal: "SIGTERM" }));
        return true;
      },
    };
  }
  /** Waits until the slot asked for its nth dump (0-based); fails after `timeoutMs`, saying which dump never came. */
  nth(n: number, timeoutMs = 10_000): Promise<HeldDump> {
    return vi.waitFor(
      () => {
        const dump = this.dumps[n];
        if (!dump) throw new Error(`HeldEngine: dump #${n} was not asked for within ${timeoutMs} ms (${this.dumps.length} so far)`);
        return dump;
      },
      { timeout: timeoutMs, interval: 1 },
    );
  }
}

/**
 * A stand-in pg_dump (shell script): `--version` prints `pg_dump (PostgreSQL) <version>`; a dump
 * writes its pid to `<dir>/pg_dump.pid`, prints a line and then hangs (`exec sleep`), or with
 * `mode: "ok"` prints a small dump and exits 0.
 */
export function writeStandInPgDump(
  dir: string,
  opts: { version?: string; mode?: "hang" | "ok"; stderr?: string[]; leakPassfile?: boolean } = {},
): { bin: string; pidFile: string } {
  const bin = path.join(dir, "pg_dump");
  const pidFile = path.join(dir, "pg_dump.pid");
  const body =
    opts.mode === "ok"
      ? [
          ...(opts.stderr ?? []).map((l) => `echo ${JSON.stringify(l)} >&2`),
          ...(opts.leakPassfile ? ['cat "$PGPASSFILE" >&2'] : []),
          // pg_dump's own header: the run checks a dump starts as pg_dump's does (pipeline/dump-head.ts).
          "printf -- '--\\n-- PostgreSQL database dump\\n--\\n-- stand-in dump\\n'",
          'echo "SELECT 1;"',
          "exit 0",
        ]
      : [`echo $$ > ${JSON.stringify(pidFile)}`, 'echo "-- stand-in dump, now hanging"', "exec sleep 300"];
  fs.writeFileSync(
    bin,
    ["#!/bin/sh", `if [ "$1" = "--version" ]; then echo "pg_dump (PostgreSQL) ${opts.version ?? "99.0"}"; exit 0; fi`, ...body, ""].join("\n"),
    { mode: 0o755 },
  );
  return { bin, pidFile };
}

/** True while a process with this pid exists. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
