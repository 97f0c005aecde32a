import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { freeLoopbackPort, makeTempDir } from "./helpers.js";
import { postgresBinDir } from "./private-postgres.js";

/**
 * Test-only. A primary of our own and a hot standby streaming from it (`pg_basebackup -R`), both on
 * free loopback ports with trust authentication. The standby cancels conflicting queries at once
 * (`max_standby_streaming_delay = 0`, no feedback), so a test can provoke a recovery conflict.
 */
export interface StreamingReplica {
  primaryPort: number;
  standbyPort: number;
  /** SQL on the primary (database `postgres` unless named); psql's unaligned output. */
  primary(sql: string, database?: string): string;
  standby(sql: string, database?: string): string;
  /** Resolves when the standby has replayed everything the primary has written so far. */
  caughtUp(): Promise<void>;
  stop(): void;
}

export async function startStreamingReplica(): Promise<StreamingReplica> {
  const bin = postgresBinDir();
  const dir = makeTempDir("replica");
  const primaryData = path.join(dir, "primary");
  const standbyData = path.join(dir, "standby");
  const asRoot = process.getuid?.() === 0;
  const run = (tool: string, args: string[]) =>
    execFileSync(asRoot ? "runuser" : path.join(bin, tool), asRoot ? ["-u", "postgres", "--", path.join(bin, tool), ...args] : args, { stdio: "pipe" });
  if (asRoot) execFileSync("chown", ["-R", "postgres:postgres", dir]);
  fs.chmodSync(dir, 0o755);

  const [primaryPort, standbyPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  run("initdb", ["-D", primaryData, "-U", "postgres", "-A", "trust", "--no-sync"]);
  const common = ["listen_addresses = '127.0.0.1'", `unix_socket_directories = '${dir}'`, "fsync = off", "max_wal_senders = 4", "wal_level = replica"];
  fs.appendFileSync(path.join(primaryData, "postgresql.conf"), [`port = ${primaryPort}`, ...common, ""].join("\n"));
  fs.appendFileSync(path.join(primaryData, "pg_hba.conf"), "host replication all 127.0.0.1/32 trust\n");
  run("pg_ctl", ["-D", primaryData, "-l", path.join(dir, "primary.log"), "-w", "-t", "30", "start"]);
  const stopPrimary = () => run("pg_ctl", ["-D", primaryData, "-m", "immediate", "-w", "stop"]);
  try {
    run("pg_basebackup", ["-h", "127.0.0.1", "-p", String(primaryPort), "-U", "postgres", "-D", standbyData, "-R", "-X", "stream", "--no-sync"]);
    fs.appendFileSync(
      path.join(standbyData, "postgresql.conf"),
      [`port = ${standbyPort}`, "hot_standby = on", "max_standby_streaming_delay = 0", "hot_standby_feedback = off", ""].join("\n"),
    );
    run("pg_ctl", ["-D", standbyData, "-l", path.join(dir, "standby.log"), "-w", "-t", "30", "start"]);
  } catch (err) {
    stopPrimary();
    throw err;
  }

  const sql = (port: number) => (query: string, database = "postgres") =>
    execFileSync("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-d", database, "-c", query], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  const primary = sql(primaryPort);
  const standby = sql(standbyPort);
  return {
    primaryPort,
    standbyPort,
    primary,
    standby,
    async caughtUp() {
      const target = primary("SELECT pg_current_wal_lsn()");
      const deadline = Date.now() + 30_000;
      while (standby(`SELECT pg_last_wal_replay_lsn() >= '${target}'::pg_lsn`) !== "t") {
        if (Date.now() > deadline) throw new Error(`the standby did not replay up to ${target} within 30 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    stop() {
      try {
        run("pg_ctl", ["-D", standbyData, "-m", "immediate", "-w", "stop"]);
      } finally {
        try {
          stopPrimary();
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      }
    },
  };
}
