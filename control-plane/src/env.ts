import { resolve } from "node:path";
import { z } from "zod";
import { fileURLToPath } from "node:url";
import { fieldIssues, HoldfastError, invalidRequest, parseOrThrow, TlsPin } from "@holdfast/shared";
import type { BlockList } from "node:net";
import { DEFAULT_LOCAL_TIMEOUT_MS } from "./destinations/bounded-local.js";
import { parseTrustedProxies } from "./http/client-address.js";
import type { BucketLimit } from "./rate-limits/token-bucket.js";

/** Command-line flags that override the environment (a flag wins over its variable). */
export interface EnvFlags {
  dataDir?: string | undefined;
  port?: string | number | undefined;
  host?: string | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
}

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Every setting, declared once: its key is the config file's key (camelCase) and, through
 * `variableOf`, its HOLDFAST_* environment variable. Adding a setting here makes it a file key and a
 * variable at once; the README's settings table is checked against this list (settings-table.test.ts).
 */
export const RawEnv = z.object({
  /** Where the SQLite file, the spool and anything else the control plane keeps live. */
  dataDir: z.string().min(1).default("./data"),
  /** `postgres://…` selects PostgreSQL; anything else (or nothing) the embedded SQLite file. */
  databaseUrl: z.string().min(1).optional(),
  port: intFrom(0, 65535).default(8080),
  /** Loopback by default: exposing the control plane is a deliberate choice. */
  host: z.string().min(1).default("127.0.0.1"),
  /** Artifacts pulled from agents wait here until every destination has them. */
  spoolDir: z.string().min(1).optional(),
  /** How often the link pings an agent; two missed pongs end the session. */
  heartbeatMs: intFrom(100, 3_600_000).default(15_000),
  /** How long a command waits for the agent's answer before AGENT_TIMEOUT. */
  commandTimeoutMs: intFrom(100, 3_600_000).default(30_000),
  /**
   * How late a schedule's firing may still be sent (agent offline, control plane down); later it is
   * recorded missed. At most a day: a firing sent twice is one backup only while the agent still
   * remembers its idempotency key (HOLDFAST_IDEMPOTENCY_WINDOW_MS, 24 h by default).
   */
  misfireGraceMs: intFrom(1_000, 24 * 3_600_000).default(3_600_000),
  /** How often the scheduler looks for due firings, retries and pending runs. */
  schedulerTickMs: intFrom(50, 60_000).default(1_000),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /**
   * On: the control plane pulls an artifact while the agent still stages it (docs/link.md §8), so
   * delivery overlaps the dump. Off: only after staging, which keeps the upload's CPU off a busy
   * database host during the dump.
   */
  pullWhileStaging: z.enum(["0", "1", "false", "true"]).default("true"),
  /** The spool's bound in GB (10^9 bytes); pulls wait while it is full. Absent: unbounded. */
  spoolMaxGb: z.coerce.number().positive().max(1_000_000).optional(),
  /** Tries per delivery before it is failed (the first one included). */
  deliveryAttempts: intFrom(1, 100).default(8),
  /** Wait after the first failed try; doubles after each, capped at an hour. */
  deliveryBackoffMs: intFrom(1, 3_600_000).default(60_000),
  /**
   * How long a local destination's folder may stay silent in one step (a dead NFS or FUSE mount);
   * then the operation's process is killed and the answer is DESTINATION_UNREACHABLE.
   */
  localDestinationTimeoutMs: intFrom(100, 3_600_000).default(DEFAULT_LOCAL_TIMEOUT_MS),
  /** How often the retention executor runs; 0 turns it off. */
  retentionIntervalMs: intFrom(0, 30 * 86_400_000).default(3_600_000),
  /** Manual backups of a datasource none of whose schedules sets manualRetentionDays: days kept (0: until deleted). */
  manualRetentionDays: intFrom(0, 100_000).default(0),
  /** Reverse proxies whose X-Forwarded-For/-Proto are believed: addresses or CIDR ranges, comma-separated. */
  trustedProxies: z.string().optional(),
  /** A browser session ends after this long without a request (docs/decisions.md, "Sessions and CSRF"). */
  sessionIdleMinutes: intFrom(5, 24 * 60).default(60),
  /** ... and this long after sign-in, however busy. */
  sessionMaxHours: intFrom(1, 30 * 24).default(24),
  /** Failed sign-ins for one e-mail before it is locked (1 min, doubling to 1 h). */
  signInAccountFailures: intFrom(1, 1000).default(5),
  /** Failed sign-ins from one address, across e-mails, before it is locked: password spraying. */
  signInAddressFailures: intFrom(1, 100_000).default(25),
  /** The live event feed keeps the newest this many events for clients that reconnect... */
  eventsKeepCount: intFrom(10, 10_000_000).default(10_000),
  /** ...and none older than this; a client whose last event is gone gets `resync`. */
  eventsKeepMs: intFrom(1_000, 30 * 86_400_000).default(86_400_000),
  /** Live events queued for one client that does not read before it is disconnected. */
  eventsClientBuffer: intFrom(10, 1_000_000).default(1_000),
  /** How often the feed is read for new events while a client listens. */
  eventsPollMs: intFrom(10, 10_000).default(250),
  /** How long a live event stream stays silent before a keep-alive comment. */
  eventsKeepAliveMs: intFrom(100, 300_000).default(15_000),
  /** The bearer token `/metrics` asks of a scraper that is not on loopback; absent, only loopback may scrape. */
  metricsToken: z.string().regex(/^[\x21-\x7e]{32,512}$/, "must be 32 to 512 printable characters without spaces (openssl rand -hex 32)").optional(),
  /** Tries per notification send before it is failed (the first one included). */
  notifyAttempts: intFrom(1, 100).default(6),
  /** Wait after a send's first failed try; doubles after each, capped at an hour. */
  notifyBackoffMs: intFrom(1, 3_600_000).default(30_000),
  /** The longest one send may take (connecting, TLS, the remote's answer). */
  notifyTimeoutMs: intFrom(100, 300_000).default(10_000),
  /** How long an agent stays offline before "agent offline" is sent. */
  notifyAgentOfflineMs: intFrom(0, 7 * 86_400_000).default(300_000),
  /** On: notification URLs and SMTP hosts on loopback or private addresses are refused too (link-local and metadata always are). */
  notifyStrictAddresses: z.enum(["0", "1", "false", "true"]).default("false"),
  /** Requests per minute (the refill; 0: no limit) and at once (the burst) for one API token... */
  rateApiTokenPerMin: intFrom(0, 1_000_000).default(1_200),
  rateApiTokenBurst: intFrom(1, 1_000_000).default(600),
  /** ...for one client address on the API, whatever its credentials (a team behind one NAT shares it)... */
  rateApiAddressPerMin: intFrom(0, 1_000_000).default(3_000),
  rateApiAddressBurst: intFrom(1, 1_000_000).default(1_000),
  /** ...for sign-ins from one address (failed ones also lock: signInAddressFailures)... */
  rateSignInPerMin: intFrom(0, 1_000_000).default(20),
  rateSignInBurst: intFrom(1, 1_000_000).default(60),
  /** ...and for agent enrollments from one address. */
  rateEnrollPerMin: intFrom(0, 1_000_000).default(10),
  rateEnrollBurst: intFrom(1, 1_000_000).default(30),
  /** History kept, in days (0: for ever): runs (with their deliveries and events)... */
  keepRunsDays: intFrom(0, 100_000).default(400),
  /** ...run events and logs... */
  keepEventsDays: intFrom(0, 100_000).default(90),
  /** ...finished notification sends... */
  keepNotificationSendsDays: intFrom(0, 100_000).default(90),
  /** ...and audit records. A live backup's run and events are kept whatever their age. */
  keepAuditDays: intFrom(0, 100_000).default(400),
  /** How often that history is pruned; 0 turns it off. */
  housekeepingIntervalMs: intFrom(0, 30 * 86_400_000).default(3_600_000),
  /** How often the RPO watch looks for datasources whose last good backup is older than their schedules allow (0: never). */
  backupMissedCheckMs: intFrom(0, 86_400_000).default(60_000),
  /** How long past a schedule's own allowance (stats/freshness.ts) "backup missed" waits. */
  backupMissedGraceMs: intFrom(0, 7 * 86_400_000).default(900_000),
  /** How often a datasource is checked through its agent unless it sets its own interval; 0 turns the checks off. */
  healthIntervalMs: intFrom(0, 86_400_000).default(300_000),
  /** How often every destination is probed; 0 turns the probes off. */
  destinationProbeIntervalMs: intFrom(0, 86_400_000).default(900_000),
  /** The longest one check or probe may take before it counts as `timeout`. */
  healthTimeoutMs: intFrom(100, 600_000).default(30_000),
  /** Health results older than this are pruned. */
  healthKeepMs: intFrom(60_000, 3650 * 86_400_000).default(30 * 86_400_000),
  /** A destination with less free space than this (bytes, where it can tell) is "nearly full". */
  destinationMinFreeBytes: z.coerce.number().int().min(0).default(5e9),
  /** ...as is one whose Holdfast-written bytes pass this fraction of its maxSizeGb. */
  destinationFullFraction: z.coerce.number().min(0.01).max(1).default(0.9),
  /** How often a scrub pass runs (scrub/); 0 turns the scrub off. */
  scrubIntervalMs: intFrom(0, 30 * 86_400_000).default(600_000),
  /** Every stored copy's existence and size are checked at least this often... */
  scrubSizeCycleHours: intFrom(1, 100_000).default(24),
  /** ...and a local destination's copies re-read through SHA-256 this often (0: never). */
  scrubHashCycleHours: intFrom(0, 100_000).default(168),
  /** One pass checks at most this many copies... */
  scrubMaxCopies: intFrom(1, 1_000_000).default(100),
  /** ...and re-reads at most this many GB (the first full check of a pass always runs). */
  scrubMaxGb: z.coerce.number().positive().max(1_000_000).default(20),
  /** PEM certificate chain (leaf first) and key: `holdfast serve` speaks HTTPS and WSS itself (tls/). */
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
  /** The key the certificate will be renewed with: its pin is pushed to agents before the swap (tls/). */
  tlsNextKey: z.string().min(1).optional(),
  /** Pins of the reverse proxy's certificate (comma-separated sha256:…) when it terminates TLS: shown in the enroll commands and pushed to agents (tls/). */
  publicPins: z.string().optional(),
  /** Where the agent packages (`npm run package:agent`) are served from; default: `agent-packages/` beside the control plane's checkout. */
  agentPackagesDir: z.string().min(1).optional(),
  /** Encrypts destination credentials at rest: base64 of 32 bytes. Absent, `<dataDir>/master.key` holds it. */
  masterKey: z
    .string()
    .regex(/^[A-Za-z0-9+/]{43}=$/, "must be the base64 of 32 random bytes (openssl rand -base64 32)")
    .optional(),
});

export type Env = {
  dataDir: string;
  databaseUrl: string | undefined;
  /** The embedded database file, used when `databaseUrl` is not a PostgreSQL URL. */
  sqlitePath: string;
  port: number;
  host: string;
  spoolDir: string;
  heartbeatMs: number;
  commandTimeoutMs: number;
  misfireGraceMs: number;
  schedulerTickMs: number;
  logLevel: z.infer<typeof RawEnv>["logLevel"];
  /** HOLDFAST_PULL_WHILE_STAGING: pull during staging (the default) or only after it. */
  pullWhileStaging: boolean;
  /** HOLDFAST_SPOOL_MAX_GB in bytes; null: unbounded. */
  spoolMaxBytes: number | null;
  deliveryAttempts: number;
  deliveryBackoffMs: number;
  localDestinationTimeoutMs: number;
  retentionIntervalMs: number;
  manualRetentionDays: number;
  /** HOLDFAST_MASTER_KEY (base64), or undefined to use `masterKeyFile`. Never logged. */
  masterKey: string | undefined;
  /** Created (0600) on first start when no HOLDFAST_MASTER_KEY is set. */
  masterKeyFile: string;
  /** HOLDFAST_TRUSTED_PROXIES; null: the socket's peer is always the client. */
  trustedProxies: BlockList | null;
  /** HOLDFAST_SESSION_IDLE_MINUTES in ms. */
  sessionIdleMs: number;
  /** HOLDFAST_SESSION_MAX_HOURS in ms. */
  sessionMaxMs: number;
  signInAccountFailures: number;
  signInAddressFailures: number;
  eventsKeepCount: number;
  eventsKeepMs: number;
  eventsClientBuffer: number;
  eventsPollMs: number;
  eventsKeepAliveMs: number;
  notifyAttempts: number;
  notifyBackoffMs: number;
  notifyTimeoutMs: number;
  notifyAgentOfflineMs: number;
  notifyStrictAddresses: boolean;
  /** HOLDFAST_METRICS_TOKEN; undefined: `/metrics` answers loopback only. Never logged. */
  metricsToken: string | undefined;
  /** HOLDFAST_KEEP_*_DAYS: housekeeping/prune-history.ts. */
  keepHistory: { runsDays: number; eventsDays: number; notificationSendsDays: number; auditDays: number };
  housekeepingIntervalMs: number;
  /** HOLDFAST_RATE_*: the token buckets of http/rate-limit.ts. */
  rateLimits: { apiToken: BucketLimit; apiAddress: BucketLimit; signIn: BucketLimit; enroll: BucketLimit };
  backupMissedCheckMs: number;
  backupMissedGraceMs: number;
  healthIntervalMs: number;
  destinationProbeIntervalMs: number;
  healthTimeoutMs: number;
  healthKeepMs: number;
  destinationMinFreeBytes: number;
  destinationFullFraction: number;
  /** HOLDFAST_TLS_CERT / _KEY (absolute paths); both or neither. */
  tls: { certFile: string; keyFile: string; nextKeyFile: string | undefined } | null;
  /** HOLDFAST_PUBLIC_PINS: the reverse proxy's pins. */
  publicPins: TlsPin[];
  /** HOLDFAST_AGENT_PACKAGES_DIR, absolute. */
  agentPackagesDir: string;
  /** HOLDFAST_SCRUB_*: scrub/scrub-pass.ts. */
  scrub: { intervalMs: number; sizeCycleMs: number; hashCycleMs: number; maxCopies: number; maxBytes: number };
};

/** A setting's name: the config file's key. */
export type SettingKey = keyof typeof RawEnv.shape;
export const SETTING_KEYS = Object.keys(RawEnv.shape) as SettingKey[];

/**
 * Variables named before the camelCase → SCREAMING_SNAKE rule held everywhere ("SIGNIN", "KEEPALIVE"):
 * kept, since deployments set them.
 */
const IRREGULAR_VARIABLES: Partial<Record<SettingKey, string>> = {
  signInAccountFailures: "HOLDFAST_SIGNIN_ACCOUNT_FAILURES",
  signInAddressFailures: "HOLDFAST_SIGNIN_ADDRESS_FAILURES",
  eventsKeepAliveMs: "HOLDFAST_EVENTS_KEEPALIVE_MS",
  rateSignInPerMin: "HOLDFAST_RATE_SIGNIN_PER_MIN",
  rateSignInBurst: "HOLDFAST_RATE_SIGNIN_BURST",
};

/** The environment variable of a setting: `spoolMaxGb` → `HOLDFAST_SPOOL_MAX_GB`. */
export function variableOf(key: SettingKey): string {
  return IRREGULAR_VARIABLES[key] ?? `HOLDFAST_${key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase()}`;
}

/** Settings that are secrets (a database URL only when it carries a password): a file holding one must be private. */
export const SECRET_KEYS = ["databaseUrl", "masterKey", "metricsToken"] as const satisfies readonly SettingKey[];

/** The settings a flag of `holdfast serve` (and the local commands) can set. */
const FLAG_KEYS = ["dataDir", "port", "host", "tlsCert", "tlsKey"] as const satisfies ReadonlyArray<SettingKey & keyof EnvFlags>;
const flagName = (key: string) => `--${key.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase()}`;

/** Settings read from a config file (already checked for unknown keys; see config/config-file.ts). */
export interface ConfigFileValues {
  path: string;
  values: Partial<Record<SettingKey, string | number | boolean>>;
}

/** HOLDFAST_PUBLIC_PINS: each item a pin, or VALIDATION_FAILED naming the setting. */
function parsePins(spec: string | undefined): TlsPin[] {
  const items = (spec ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  return items.map((item) => parseOrThrow(TlsPin, item, "HOLDFAST_PUBLIC_PINS"));
}

const blankToUndefined = (v: string | number | undefined) => (v === "" ? undefined : v);

/**
 * Reads the configuration once, at start: flags first, then `HOLDFAST_*` variables, then the config
 * file's keys, then defaults. Throws VALIDATION_FAILED naming the offending setting where it came
 * from (the flag, the variable, or the key and the file).
 */
export function loadEnv(flags: EnvFlags = {}, vars: NodeJS.ProcessEnv = process.env, file?: ConfigFileValues): Env {
  const input: Record<string, string | number | undefined> = {};
  const source = new Map<string, string>();
  for (const key of SETTING_KEYS) {
    const flag = (FLAG_KEYS as readonly string[]).includes(key) ? blankToUndefined(flags[key as (typeof FLAG_KEYS)[number]]) : undefined;
    const variable = blankToUndefined(vars[variableOf(key)]);
    const fromFile = file?.values[key];
    if (flag !== undefined) {
      input[key] = flag;
      source.set(key, `${flagName(key)} (${key})`);
    } else if (variable !== undefined) {
      input[key] = variable;
      source.set(key, `${variableOf(key)} (${key})`);
    } else if (fromFile !== undefined) {
      // JSON's numbers and booleans go through the same coercions as a variable's text.
      input[key] = String(fromFile);
      source.set(key, `${key} in ${file!.path}`);
    }
  }
  const parsed = RawEnv.safeParse(input);
  if (!parsed.success) {
    const issues = fieldIssues(parsed.error.issues).map((issue) => {
      const key = issue.path.split(".")[0] ?? "";
      return { ...issue, path: source.get(key) ?? issue.path };
    });
    throw invalidRequest(issues, "configuration");
  }
  const raw = parsed.data;
  const dataDir = resolve(raw.dataDir);
  if ((raw.tlsCert === undefined) !== (raw.tlsKey === undefined)) {
    throw new HoldfastError("VALIDATION_FAILED", "configuration: set both HOLDFAST_TLS_CERT and HOLDFAST_TLS_KEY (--tls-cert and --tls-key), or neither");
  }
  return {
    dataDir,
    databaseUrl: raw.databaseUrl,
    sqlitePath: resolve(dataDir, "holdfast.db"),
    port: raw.port,
    host: raw.host,
    spoolDir: resolve(raw.spoolDir ?? resolve(dataDir, "spool")),
    heartbeatMs: raw.heartbeatMs,
    commandTimeoutMs: raw.commandTimeoutMs,
    misfireGraceMs: raw.misfireGraceMs,
    schedulerTickMs: raw.schedulerTickMs,
    logLevel: raw.logLevel,
    spoolMaxBytes: raw.spoolMaxGb === undefined ? null : Math.floor(raw.spoolMaxGb * 1e9),
    deliveryAttempts: raw.deliveryAttempts,
    deliveryBackoffMs: raw.deliveryBackoffMs,
    localDestinationTimeoutMs: raw.localDestinationTimeoutMs,
    retentionIntervalMs: raw.retentionIntervalMs,
    manualRetentionDays: raw.manualRetentionDays,
    masterKey: raw.masterKey,
    masterKeyFile: resolve(dataDir, "master.key"),
    trustedProxies: parseTrustedProxies(raw.trustedProxies),
    sessionIdleMs: raw.sessionIdleMinutes * 60_000,
    sessionMaxMs: raw.sessionMaxHours * 3_600_000,
    signInAccountFailures: raw.signInAccountFailures,
    signInAddressFailures: raw.signInAddressFailures,
    eventsKeepCount: raw.eventsKeepCount,
    eventsKeepMs: raw.eventsKeepMs,
    eventsClientBuffer: raw.eventsClientBuffer,
    eventsPollMs: raw.eventsPollMs,
    eventsKeepAliveMs: raw.eventsKeepAliveMs,
    notifyAttempts: raw.notifyAttempts,
    notifyBackoffMs: raw.notifyBackoffMs,
    notifyTimeoutMs: raw.notifyTimeoutMs,
    notifyAgentOfflineMs: raw.notifyAgentOfflineMs,
    notifyStrictAddresses: raw.notifyStrictAddresses === "1" || raw.notifyStrictAddresses === "true",
    pullWhileStaging: raw.pullWhileStaging === "1" || raw.pullWhileStaging === "true",
    metricsToken: raw.metricsToken,
    keepHistory: { runsDays: raw.keepRunsDays, eventsDays: raw.keepEventsDays, notificationSendsDays: raw.keepNotificationSendsDays, auditDays: raw.keepAuditDays },
    housekeepingIntervalMs: raw.housekeepingIntervalMs,
    rateLimits: {
      apiToken: { perMinute: raw.rateApiTokenPerMin, burst: raw.rateApiTokenBurst },
      apiAddress: { perMinute: raw.rateApiAddressPerMin, burst: raw.rateApiAddressBurst },
      signIn: { perMinute: raw.rateSignInPerMin, burst: raw.rateSignInBurst },
      enroll: { perMinute: raw.rateEnrollPerMin, burst: raw.rateEnrollBurst },
    },
    backupMissedCheckMs: raw.backupMissedCheckMs,
    backupMissedGraceMs: raw.backupMissedGraceMs,
    healthIntervalMs: raw.healthIntervalMs,
    destinationProbeIntervalMs: raw.destinationProbeIntervalMs,
    healthTimeoutMs: raw.healthTimeoutMs,
    healthKeepMs: raw.healthKeepMs,
    destinationMinFreeBytes: raw.destinationMinFreeBytes,
    destinationFullFraction: raw.destinationFullFraction,
    tls: raw.tlsCert && raw.tlsKey ? { certFile: resolve(raw.tlsCert), keyFile: resolve(raw.tlsKey), nextKeyFile: raw.tlsNextKey ? resolve(raw.tlsNextKey) : undefined } : null,
    publicPins: parsePins(raw.publicPins),
    agentPackagesDir: resolve(raw.agentPackagesDir ?? fileURLToPath(new URL("../../agent-packages", import.meta.url))),
    scrub: {
      intervalMs: raw.scrubIntervalMs,
      sizeCycleMs: raw.scrubSizeCycleHours * 3_600_000,
      hashCycleMs: raw.scrubHashCycleHours * 3_600_000,
      maxCopies: raw.scrubMaxCopies,
      maxBytes: Math.floor(raw.scrubMaxGb * 1e9),
    },
  };
}

/** Whether the configured database is PostgreSQL (else the embedded SQLite file). */
export function usesPostgres(env: Env): boolean {
  return env.databaseUrl !== undefined && /^postgres(ql)?:\/\//.test(env.databaseUrl);
}
