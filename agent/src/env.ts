import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { HoldfastError, validationError } from "@holdfast/shared/protocol";
import { type AgentConfigFile, CONFIG_KEY_VARIABLES, type ConfigKey, LOG_LEVELS, readAgentConfigFile } from "./config-file.js";

const positiveMs = z.coerce.number().int().positive();

/**
 * The queue, retention and tool-priority knobs (queue/README.md, README's settings table): the one
 * place their defaults are written. The run functions receive them through RunContext.limits.
 */
const LimitsSchema = z.object({
  /** HOLDFAST_MAX_QUEUE_SIZE: queued runs beyond this answer 429 QUEUE_OVERFLOW. */
  maxQueueSize: z.coerce.number().int().min(1).max(10_000).default(20),
  /** HOLDFAST_QUEUE_TTL_MS: a queued run waiting longer ends `expired`. */
  queueTtlMs: positiveMs.default(6 * 60 * 60 * 1000),
  /** HOLDFAST_ARTIFACT_TTL_MS: a staged artifact older than this is removed; reads answer 410. */
  artifactTtlMs: positiveMs.default(24 * 60 * 60 * 1000),
  /** HOLDFAST_IDEMPOTENCY_WINDOW_MS: how long an idempotency key is remembered. */
  idempotencyWindowMs: positiveMs.default(24 * 60 * 60 * 1000),
  /** HOLDFAST_TOOL_NICE, _IO_CLASS, _IO_LEVEL: the tools' priority for datasources that set none (tool-priority.ts). */
  toolNice: z.coerce.number().int().min(0).max(19).optional(),
  toolIoClass: z.enum(["best-effort", "idle"]).optional(),
  toolIoLevel: z.coerce.number().int().min(0).max(7).optional(),
});
export type AgentLimits = z.infer<typeof LimitsSchema>;

/** The limits no variable changed (tests and embedders start from these). */
export const DEFAULT_LIMITS: Readonly<AgentLimits> = Object.freeze(LimitsSchema.parse({}));

const EnvSchema = z.object({
  dataDir: z.string().min(1, "set --data-dir or HOLDFAST_DATA_DIR"),
  heartbeatMs: positiveMs.default(15_000),
  logLevel: z.enum(LOG_LEVELS).default("info"),
  reconnectBaseMs: positiveMs.default(500),
  reconnectCapMs: positiveMs.default(60_000),
  tmpDir: z.string().min(1),
  /** HOLDFAST_PG_BIN_ROOT: where PostgreSQL client majors live as `<root>/<major>/bin/` (/usr/lib/postgresql by default). */
  pgBinRoot: z.string().refine((p) => p.startsWith("/"), "must be an absolute path").optional(),
  limits: LimitsSchema,
  /**
   * The control planes to connect to, in order (`--server`, HOLDFAST_SERVERS comma-separated, the
   * config file's `server`/`servers`); absent: the URL saved at enrollment. The link moves to the next
   * one whenever a connection fails or drops.
   */
  servers: z.array(z.url({ protocol: /^https?$/, error: "each control plane must be an http(s) URL" })).min(1).max(16).optional(),
  /** The config file read at start-up, if any (HOLDFAST_AGENT_CONFIG or --config). */
  configFile: z.string().optional(),
});
export type AgentEnv = z.infer<typeof EnvSchema>;

const blankToUndefined = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v);

/**
 * Reads the agent's configuration once, at start-up, so a typo fails loudly before anything runs.
 * Each setting comes from the first of: its flag (`--data-dir`), its HOLDFAST_* variable, the config
 * file (`--config` or HOLDFAST_AGENT_CONFIG, /etc/holdfast/agent.json when installed), the default.
 * The temp dir is os.tmpdir(), which honours TMPDIR.
 */
export function loadEnv(flags: { dataDir?: string | undefined; config?: string | undefined; servers?: string[] | undefined }, env: NodeJS.ProcessEnv = process.env): AgentEnv {
  const configPath = flags.config ?? blankToUndefined(env.HOLDFAST_AGENT_CONFIG);
  const configFile = configPath === undefined ? undefined : path.resolve(configPath);
  const file: AgentConfigFile = configFile === undefined ? {} : readAgentConfigFile(configFile);
  const setting = (key: ConfigKey) => blankToUndefined(env[CONFIG_KEY_VARIABLES[key]]) ?? file[key];
  const dataDir = flags.dataDir ?? setting("dataDir");
  if (dataDir === undefined) {
    throw new HoldfastError("VALIDATION_FAILED", "No data dir: pass --data-dir, set HOLDFAST_DATA_DIR or dataDir in the config file");
  }
  const fromVariable = blankToUndefined(env.HOLDFAST_SERVERS)
    ?.split(",")
    .map((url) => url.trim())
    .filter((url) => url !== "");
  const servers = (flags.servers?.length ? flags.servers : undefined) ?? fromVariable ?? file.servers ?? (file.server === undefined ? undefined : [file.server]);
  const parsed = EnvSchema.safeParse({
    dataDir: path.resolve(String(dataDir)),
    heartbeatMs: setting("heartbeatMs"),
    logLevel: setting("logLevel"),
    reconnectBaseMs: setting("reconnectBaseMs"),
    reconnectCapMs: setting("reconnectCapMs"),
    tmpDir: os.tmpdir(),
    pgBinRoot: setting("pgBinRoot"),
    limits: {
      maxQueueSize: setting("maxQueueSize"),
      queueTtlMs: setting("queueTtlMs"),
      artifactTtlMs: setting("artifactTtlMs"),
      idempotencyWindowMs: setting("idempotencyWindowMs"),
      toolNice: setting("toolNice"),
      toolIoClass: setting("toolIoClass"),
      toolIoLevel: setting("toolIoLevel"),
    },
    ...(servers ? { servers } : {}),
    ...(configFile ? { configFile } : {}),
  });
  if (!parsed.success) throw validationError(parsed.error, "agent environment");
  if (parsed.data.limits.toolIoClass === "idle" && parsed.data.limits.toolIoLevel !== undefined) {
    throw new HoldfastError("VALIDATION_FAILED", "HOLDFAST_TOOL_IO_LEVEL has no meaning with the idle I/O class: unset it or use best-effort");
  }
  if (parsed.data.reconnectCapMs < parsed.data.reconnectBaseMs) {
    throw new HoldfastError("VALIDATION_FAILED", "HOLDFAST_RECONNECT_CAP_MS must not be below HOLDFAST_RECONNECT_BASE_MS");
  }
  return parsed.data;
}
