import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { HoldfastError } from "@holdfast/shared";
import { type ConfigFileValues, type Env, type EnvFlags, loadEnv, SECRET_KEYS, SETTING_KEYS, type SettingKey, variableOf } from "../env.js";
import { closestKey } from "./closest-key.js";

/*
 * The control plane's one config file: a JSON object whose keys are the settings of env.ts, by their
 * camelCase names. Variables and flags still win over it (a container or a unit overrides one key
 * without editing the file). Not HOLDFAST_CONFIG: that is the remote CLI's own client config
 * (cli/remote/connection.ts), which an operator may well set in the same shell.
 */

/** Read when it exists and neither `--config` nor HOLDFAST_CONFIG_FILE names another. */
export const DEFAULT_CONFIG_FILE = "/etc/holdfast/holdfast.json";
export const CONFIG_FILE_VARIABLE = "HOLDFAST_CONFIG_FILE";
/** A settings file is a few KB; anything near this is not one. */
const MAX_CONFIG_BYTES = 1 << 20;

/** Which file to read: a named one must exist; the default only when it does. null: none. */
export function configFilePath(flag: string | undefined, vars: NodeJS.ProcessEnv, exists: (path: string) => boolean = existsSync): string | null {
  const named = flag || vars[CONFIG_FILE_VARIABLE] || undefined;
  if (named !== undefined) return resolve(named);
  return exists(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : null;
}

const refuse = (message: string) => new HoldfastError("VALIDATION_FAILED", message);

/** The 1-based line and column of a character offset, for a JSON error a person can find. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split("\n");
  return { line: before.length, column: before[before.length - 1]!.length + 1 };
}

function parseJson(path: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const message = (err as Error).message.replace(/\s*\(line \d+ column \d+\)$/, "");
    const at = /at position (\d+)/.exec(message);
    const where = at ? lineAndColumn(text, Number(at[1])) : lineAndColumn(text, text.length);
    throw refuse(`${path} is not valid JSON: line ${where.line}, column ${where.column}: ${message.replace(/ in JSON at position \d+/, "")}`);
  }
}

/** What a JSON value of a setting may be: a variable's text, or a number or boolean for convenience. */
const SettingValue = z.union([z.string(), z.number(), z.boolean()]);

const carriesSecret = (key: (typeof SECRET_KEYS)[number], value: unknown): boolean => {
  if (key !== "databaseUrl") return true;
  // A URL without a password (peer or certificate authentication) is no secret; one that cannot be
  // read as a URL is treated as if it had one.
  try {
    const url = new URL(String(value));
    return url.password !== "" || url.searchParams.has("password");
  } catch {
    return true;
  }
};

/**
 * Reads and checks the file: a JSON object of known keys with string, number or boolean values, at
 * most 1 MiB, and private (no access for group or others) when it holds a secret. The values
 * themselves are checked by loadEnv, which names the key and the file.
 */
export function readConfigFile(path: string): ConfigFileValues {
  let info;
  try {
    info = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw refuse(code === "ENOENT" ? `config file ${path} does not exist` : `config file ${path} cannot be read (${code})`);
  }
  if (!info.isFile()) throw refuse(`config file ${path} is not a regular file`);
  if (info.size > MAX_CONFIG_BYTES) throw refuse(`config file ${path} is larger than 1 MiB: not a Holdfast config file`);
  const text = readFileSync(path, "utf8");
  const json = parseJson(path, text);
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw refuse(`${path} must hold one JSON object of settings ({"port": 8080, ...})`);

  const values: ConfigFileValues["values"] = {};
  for (const [key, value] of Object.entries(json)) {
    if (!(SETTING_KEYS as string[]).includes(key)) {
      const near = closestKey(key, SETTING_KEYS, variableOf);
      throw refuse(`${path}: unknown setting "${key}"${near ? ` (did you mean "${near}"?)` : ""}; the settings are listed in docs/deployment.md`);
    }
    const checked = SettingValue.safeParse(value);
    if (!checked.success) throw refuse(`${path}: ${key} must be a string, a number or a boolean`);
    values[key as SettingKey] = checked.data;
  }

  const secrets = SECRET_KEYS.filter((key) => values[key] !== undefined && carriesSecret(key, values[key]));
  if (secrets.length > 0 && process.platform !== "win32" && (info.mode & 0o077) !== 0) {
    throw refuse(
      `${path} holds secrets (${secrets.join(", ")}) and other users may read it (mode ${(info.mode & 0o777).toString(8)}): run chmod 600 ${path} (and chown it to the user holdfast runs as)`,
    );
  }
  return { path, values };
}

/**
 * The configuration of a local command (`serve`, `migrate`, `user create`, ...): its flags, the
 * environment, the config file (`--config`, else HOLDFAST_CONFIG_FILE, else /etc/holdfast/holdfast.json
 * when it exists), the defaults, in that order.
 */
export function loadConfiguredEnv(flags: EnvFlags & { config?: string | undefined }, vars: NodeJS.ProcessEnv = process.env): Env {
  const path = configFilePath(flags.config, vars);
  return loadEnv(flags, vars, path === null ? undefined : readConfigFile(path));
}
