import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { HoldfastError, validationError } from "@holdfast/shared";

const positiveMs = z.coerce.number().int().positive();

/**
 * The queue and retention knobs (queue/README.md, README's settings table): the one place their
 * defaults are written. The run functions receive them through RunContext.limits.
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
});
export type AgentLimits = z.infer<typeof LimitsSchema>;

/** The limits no variable changed (tests and embedders start from these). */
export const DEFAULT_LIMITS: Readonly<AgentLimits> = Object.freeze(LimitsSchema.parse({}));

const EnvSchema = z.object({
  dataDir: z.string().min(1, "set --data-dir or HOLDFAST_DATA_DIR"),
  heartbeatMs: positiveMs.default(15_000),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  reconnectBaseMs: positiveMs.default(500),
  reconnectCapMs: positiveMs.default(60_000),
  tmpDir: z.string().min(1),
  limits: LimitsSchema,
});
export type AgentEnv = z.infer<typeof EnvSchema>;

/**
 * Reads the agent's configuration once, at start-up, so a typo fails loudly before anything runs.
 * The `--data-dir` flag wins over HOLDFAST_DATA_DIR; the temp dir is os.tmpdir(), which honours TMPDIR.
 */
export function loadEnv(flags: { dataDir?: string | undefined }, env: NodeJS.ProcessEnv = process.env): AgentEnv {
  const dataDir = flags.dataDir ?? env.HOLDFAST_DATA_DIR;
  if (!dataDir) {
    throw new HoldfastError("VALIDATION_FAILED", "No data dir: pass --data-dir or set HOLDFAST_DATA_DIR");
  }
  const blankToUndefined = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v);
  const parsed = EnvSchema.safeParse({
    dataDir: path.resolve(dataDir),
    heartbeatMs: blankToUndefined(env.HOLDFAST_HEARTBEAT_MS),
    logLevel: blankToUndefined(env.HOLDFAST_LOG_LEVEL),
    reconnectBaseMs: blankToUndefined(env.HOLDFAST_RECONNECT_BASE_MS),
    reconnectCapMs: blankToUndefined(env.HOLDFAST_RECONNECT_CAP_MS),
    tmpDir: os.tmpdir(),
    limits: {
      maxQueueSize: blankToUndefined(env.HOLDFAST_MAX_QUEUE_SIZE),
      queueTtlMs: blankToUndefined(env.HOLDFAST_QUEUE_TTL_MS),
      artifactTtlMs: blankToUndefined(env.HOLDFAST_ARTIFACT_TTL_MS),
      idempotencyWindowMs: blankToUndefined(env.HOLDFAST_IDEMPOTENCY_WINDOW_MS),
    },
  });
  if (!parsed.success) throw validationError(parsed.error, "agent environment");
  if (parsed.data.reconnectCapMs < parsed.data.reconnectBaseMs) {
    throw new HoldfastError("VALIDATION_FAILED", "HOLDFAST_RECONNECT_CAP_MS must not be below HOLDFAST_RECONNECT_BASE_MS");
  }
  return parsed.data;
}
