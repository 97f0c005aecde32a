import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { z } from "zod";
import { CliError } from "./cli-error.js";
import { EXIT } from "./exit-codes.js";

/** Where the CLI reaches a control plane, and with which API token. */
export interface Connection {
  server: string;
  token: string;
}

/** What `holdfast login` writes: 0600, in the user's config dir. */
export const CliConfig = z.object({
  server: z.url({ protocol: /^https?$/ }),
  token: z.string().regex(/^hf_api_[\w-]{20,}$/, "must be a Holdfast API token (hf_api_…)"),
  /** The API token's id, so `holdfast logout` can revoke it. */
  tokenId: z.string().optional(),
});
export type CliConfig = z.infer<typeof CliConfig>;

/** `$HOLDFAST_CONFIG`, else `$XDG_CONFIG_HOME/holdfast/cli.json`, else `~/.config/holdfast/cli.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HOLDFAST_CONFIG) return env.HOLDFAST_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "holdfast", "cli.json");
}

/** The config file, or null when there is none; a file others may read, or a malformed one, is refused. */
export function readConfig(path: string): CliConfig | null {
  let text: string;
  try {
    const st = statSync(path);
    if ((st.mode & 0o077) !== 0) {
      throw new CliError(`${path} may be read by other users (mode ${(st.mode & 0o777).toString(8)}): run chmod 600 ${path}`, EXIT.usage);
    }
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CliError(`${path} is not JSON: run holdfast login again`, EXIT.usage);
  }
  const parsed = CliConfig.safeParse(json);
  if (!parsed.success) throw new CliError(`${path} is not a Holdfast CLI config (${parsed.error.issues[0]?.message}): run holdfast login again`, EXIT.usage);
  return parsed.data;
}

/** Writes the config 0600 (its folder 0700), atomically: a reader never sees half a token. */
export function writeConfig(path: string, config: CliConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(CliConfig.parse(config), null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/**
 * The connection, from the first place that has it: `--server`/`--token`, then `HOLDFAST_SERVER`/
 * `HOLDFAST_TOKEN`, then the config file. Server and token may come from different places (a
 * script's env token against the logged-in server).
 */
export function resolveConnection(flags: { server?: string; token?: string }, env: NodeJS.ProcessEnv = process.env): Connection {
  const file = flags.server && flags.token ? null : readConfig(configPath(env));
  // An empty variable (`HOLDFAST_TOKEN= holdfast …`) counts as unset, as shells and most tools read it.
  const server = flags.server ?? (env.HOLDFAST_SERVER || undefined) ?? file?.server;
  const token = flags.token ?? (env.HOLDFAST_TOKEN || undefined) ?? file?.token;
  if (!server || !token) {
    throw new CliError("No control plane to talk to: run holdfast login, or set HOLDFAST_SERVER and HOLDFAST_TOKEN (or --server and --token)", EXIT.unreachable);
  }
  const url = z.url({ protocol: /^https?$/ }).safeParse(server);
  if (!url.success) throw new CliError(`--server must be an http(s) URL, not ${JSON.stringify(server)}`, EXIT.usage);
  return { server: server.replace(/\/+$/, ""), token };
}
