import type { AgentEnv } from "../env.js";
import { normalizeServerUrl } from "./server-url.js";
import type { AgentIdentity } from "./identity-file.js";

/**
 * The identity with the first configured server in place of the URL saved at enrollment: a control
 * plane that moved needs no new enrollment. The one-shot commands (upgrade, doctor) talk to it; `run`
 * takes the whole list (configuredServers).
 */
export function withConfiguredServer<T extends Pick<AgentIdentity, "serverUrl">>(identity: T, env: Pick<AgentEnv, "servers">): T {
  const first = env.servers?.[0];
  return first === undefined ? identity : { ...identity, serverUrl: normalizeServerUrl(first) };
}

/**
 * The control planes `run` connects to, in order, normalized: the configured list (`--server`,
 * HOLDFAST_SERVERS, the config file), else the URL saved at enrollment. Duplicates are dropped so a
 * URL given twice is not tried twice in a row.
 */
export function configuredServers(identity: Pick<AgentIdentity, "serverUrl">, env: Pick<AgentEnv, "servers">): string[] {
  return [...new Set((env.servers ?? [identity.serverUrl]).map(normalizeServerUrl))];
}
