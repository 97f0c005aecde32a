import { HoldfastError, invalidRequest, type PostgresConnection } from "@holdfast/shared/protocol";
import type { PreflightIssue } from "../types.js";
import { buildConninfo } from "./conninfo.js";

/**
 * Dumping from a hot standby (issue 19). The datasource's `host`/`port` stay the primary's: health
 * checks, the drill's scratch database and restores go there; only the dump reads the standby.
 */

/** Where the dump connects: the standby when the datasource names one, with the datasource's user, password and TLS. */
export function dumpSource(connection: PostgresConnection): PostgresConnection {
  const { standby, ...primary } = connection;
  return standby ? { ...primary, host: standby.host, port: standby.port } : primary;
}

/**
 * Whether the server is replaying (a standby) and how far behind: 0 when it has replayed all it
 * received (an idle primary writes nothing, and the last replayed commit's age would grow forever),
 * else the age of the last replayed commit. Fixed text, nothing user-supplied in it.
 */
export const STANDBY_QUERY =
  "select pg_is_in_recovery(), case when not pg_is_in_recovery() then null when pg_last_wal_receive_lsn() is not distinct from pg_last_wal_replay_lsn() then 0 else coalesce(extract(epoch from now() - pg_last_xact_replay_timestamp()), 0) end";

export function buildStandbyCheckArgs(connection: PostgresConnection): string[] {
  return [`--dbname=${buildConninfo(connection)}`, "--no-password", "-X", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-c", STANDBY_QUERY];
}

export interface StandbyStatus {
  inRecovery: boolean;
  /** Seconds of replay lag; null on a server that is not in recovery. */
  lagSeconds: number | null;
}

export function parseStandbyStatus(out: string): StandbyStatus {
  const [recovery, lag] = out.trim().split("\t");
  if (recovery !== "t" && recovery !== "f") throw new HoldfastError("DB_CONNECTION_TEST_FAILED", "The standby check (psql) answered something unexpected", { output: out.slice(0, 200) });
  return { inRecovery: recovery === "t", lagSeconds: lag ? Math.round(Number(lag)) : null };
}

/** A server named as the standby that is not replaying (a primary, or a standby since promoted): refused naming the field. */
export function assertIsStandby(connection: PostgresConnection, status: StandbyStatus): void {
  if (status.inRecovery || !connection.standby) return;
  const { host, port } = connection.standby;
  throw invalidRequest(
    [{ path: "connection.standby", message: `${host}:${port} is not a standby (pg_is_in_recovery() is false): name a hot standby of this database, or remove standby to dump from ${connection.host}:${connection.port}` }],
    "standby",
  );
}

/** The preflight's warning when the standby replays further behind than the datasource allows. */
export function lagWarning(connection: PostgresConnection, status: StandbyStatus): PreflightIssue | null {
  const max = connection.standby?.maxLagSeconds;
  if (max === undefined || status.lagSeconds === null || status.lagSeconds <= max) return null;
  return {
    code: "REPLICATION_LAG",
    message: `The standby ${connection.standby!.host}:${connection.standby!.port} replays ${status.lagSeconds} s behind the primary (more than ${max} s): the backup will miss the primary's latest changes`,
  };
}

/** A dump cancelled by the standby to apply the primary's changes: its own code, with the settings that prevent it. */
export const RECOVERY_CONFLICT = /conflict with recovery/i;

export function recoveryConflict(err: HoldfastError): HoldfastError {
  return new HoldfastError(
    "DUMP_RECOVERY_CONFLICT",
    "The standby cancelled the dump to replay the primary's changes (a recovery conflict): on the standby, raise max_standby_streaming_delay (-1 waits for the dump) or set hot_standby_feedback = on, or dump from the primary",
    { ...err.details, settings: ["max_standby_streaming_delay", "hot_standby_feedback"] },
  );
}
