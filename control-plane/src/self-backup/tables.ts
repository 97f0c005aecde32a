import type { Tables } from "../db/index.js";

/*
 * What `holdfast backup-self` carries, in the order it is written and restored: every table another
 * one references comes before it (users before api_tokens, agents before datasources before
 * schedules, runs and destinations before deliveries), so rows go in one by one with the foreign
 * keys on. `keys` is the unique key pages are read by (keyset, not OFFSET: a large run catalogue is
 * read in constant time per page).
 */
export const EXPORTED_TABLES = [
  { table: "users", keys: ["id"] },
  { table: "apiTokens", keys: ["id"] },
  { table: "enrollmentTokens", keys: ["id"] },
  { table: "agents", keys: ["id"] },
  { table: "agentJti", keys: ["agentId", "jti"] },
  { table: "datasources", keys: ["id"] },
  { table: "destinations", keys: ["id"] },
  { table: "schedules", keys: ["id"] },
  { table: "runs", keys: ["id"] },
  { table: "deliveries", keys: ["id"] },
  { table: "agentEvents", keys: ["eventId"] },
  { table: "auditLog", keys: ["id"] },
  { table: "ssoSettings", keys: ["id"] },
  { table: "notificationChannels", keys: ["id"] },
  { table: "notificationSends", keys: ["id"] },
  { table: "notificationConditions", keys: ["conditionKey"] },
] as const satisfies ReadonlyArray<{ table: keyof Tables; keys: readonly string[] }>;

export type ExportedTable = (typeof EXPORTED_TABLES)[number]["table"];

/**
 * What is left out, and why: each is state a running control plane rebuilds within minutes, or
 * that must not outlive the host it was made on. Restoring clears them too.
 */
export const LEFT_OUT_TABLES = {
  /** Who is signed in now: after a disaster everyone signs in again, and no cookie outlives its host. */
  sessions: "browser sessions end with the old host; users sign in again",
  /** Lock-out counters and rate buckets: forgotten within a day anyway. */
  signInFailures: "sign-in lock-out counters, forgotten within a day",
  rateLimits: "request rate buckets, full again within minutes",
  /** Only used while no user exists; `serve` makes a new one at each start. */
  setupTokens: "the first admin's setup token, remade at each start while no user exists",
  /** The live feed's window: clients ask again and get `resync`. */
  liveEvents: "the live event feed, a window of a day at most; browsers resync",
  /** The largest table (one row per datasource every few minutes), and the next check remakes it. */
  healthChecks: "health check history: the largest table, and the next check remakes it",
  /** Which control-plane processes run on the database now: the restored one registers itself. */
  controlPlanes: "the running control-plane replicas, which register themselves at start",
  /** In flight for seconds at most: their askers have long timed out by the time a restore runs. */
  linkCommands: "commands relayed between replicas, in flight for seconds",
  /** Summaries the triggers keep (migration 0028): rebuilt row by row as the restore inserts. */
  destinationUsage: "derived from the deliveries by triggers, rebuilt as they are restored",
  datasourceVersions: "cache version counters, bumped by triggers as rows are restored",
  backupDayVersions: "cache version counters, bumped by triggers as rows are restored",
} as const satisfies Partial<Record<keyof Tables, string>>;
