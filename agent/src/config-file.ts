import fs from "node:fs";
import { z } from "zod";
import { HoldfastError, validationError } from "@holdfast/shared/protocol";

/** The file is a handful of settings; anything bigger is not an agent config. */
const MAX_CONFIG_BYTES = 64 * 1024;

/**
 * Each key of /etc/holdfast/agent.json and the variable it stands for: the same settings, the same
 * names in camelCase. The variable wins over the file, so a one-off override needs no edit.
 */
export const CONFIG_KEY_VARIABLES = {
  dataDir: "HOLDFAST_DATA_DIR",
  logLevel: "HOLDFAST_LOG_LEVEL",
  heartbeatMs: "HOLDFAST_HEARTBEAT_MS",
  reconnectBaseMs: "HOLDFAST_RECONNECT_BASE_MS",
  reconnectCapMs: "HOLDFAST_RECONNECT_CAP_MS",
  maxQueueSize: "HOLDFAST_MAX_QUEUE_SIZE",
  queueTtlMs: "HOLDFAST_QUEUE_TTL_MS",
  artifactTtlMs: "HOLDFAST_ARTIFACT_TTL_MS",
  idempotencyWindowMs: "HOLDFAST_IDEMPOTENCY_WINDOW_MS",
  toolNice: "HOLDFAST_TOOL_NICE",
  toolIoClass: "HOLDFAST_TOOL_IO_CLASS",
  toolIoLevel: "HOLDFAST_TOOL_IO_LEVEL",
  pgBinRoot: "HOLDFAST_PG_BIN_ROOT",
} as const;
export type ConfigKey = keyof typeof CONFIG_KEY_VARIABLES;

/** pino's levels: the one list the variable and the file are checked against. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const ms = z.number().int().positive();
const serverUrl = z.url({ protocol: /^https?$/ });

/**
 * Strict: a misspelt key stops start-up naming it instead of being silently ignored. Values are JSON
 * types (numbers as numbers), with the variables' ranges, so a bad value is named by its key here.
 * `server`/`servers`: the control planes to connect to, overriding the URL saved at enrollment; with
 * several, the link moves to the next whenever a connection fails or drops (replicas of one control
 * plane on one PostgreSQL).
 */
export const AgentConfigFile = z
  .object({
    dataDir: z.string().refine((p) => p.startsWith("/"), "must be an absolute path"),
    logLevel: z.enum(LOG_LEVELS),
    heartbeatMs: ms,
    reconnectBaseMs: ms,
    reconnectCapMs: ms,
    maxQueueSize: z.number().int().min(1).max(10_000),
    queueTtlMs: ms,
    artifactTtlMs: ms,
    idempotencyWindowMs: ms,
    toolNice: z.number().int().min(0).max(19),
    toolIoClass: z.enum(["best-effort", "idle"]),
    toolIoLevel: z.number().int().min(0).max(7),
    pgBinRoot: z.string().refine((p) => p.startsWith("/"), "must be an absolute path"),
    server: serverUrl,
    servers: z.array(serverUrl).min(1).max(16),
  })
  .partial()
  .strict()
  .refine((c) => c.server === undefined || c.servers === undefined, { message: "set either server or servers, not both" });
export type AgentConfigFile = z.infer<typeof AgentConfigFile>;

/**
 * Reads the agent's config file. Refused when others may read or write it (it names where the
 * agent's key lives and which server it trusts), with the chmod that fixes it.
 */
export function readAgentConfigFile(file: string): AgentConfigFile {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "does not exist" : code === "EACCES" ? "is not readable by this user" : code === "ELOOP" ? "is a symbolic link" : `cannot be opened (${code})`;
    throw new HoldfastError("VALIDATION_FAILED", `The agent's config file ${file} ${why}: fix it, or unset HOLDFAST_AGENT_CONFIG / --config`, { configFile: file });
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new HoldfastError("VALIDATION_FAILED", `The agent's config file ${file} is not a regular file`, { configFile: file });
    if ((stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, "0");
      throw new HoldfastError("VALIDATION_FAILED", `The agent's config file ${file} is open to other users (mode ${mode}): run chmod 600 ${file}`, { configFile: file, mode });
    }
    if (stat.size > MAX_CONFIG_BYTES) throw new HoldfastError("VALIDATION_FAILED", `The agent's config file ${file} is larger than ${MAX_CONFIG_BYTES} bytes`, { configFile: file });
    const buf = Buffer.alloc(Math.min(stat.size, MAX_CONFIG_BYTES));
    const read = fs.readSync(fd, buf, 0, buf.length, 0);
    let json: unknown;
    try {
      json = JSON.parse(buf.subarray(0, read).toString("utf8"));
    } catch (err) {
      throw new HoldfastError("VALIDATION_FAILED", `The agent's config file ${file} is not valid JSON: ${(err as Error).message}`, { configFile: file });
    }
    const parsed = AgentConfigFile.safeParse(json);
    if (!parsed.success) throw validationError(parsed.error, `agent config file ${file}`);
    return parsed.data;
  } finally {
    fs.closeSync(fd);
  }
}
