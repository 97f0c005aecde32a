import type { AgentEnv } from "../env.js";
import { normalizeServerUrl } from "./server-url.js";
import type { AgentIdentity } from "./identity-file.js";

/**
 * The identity with the config file's server in place of the URL saved at enrollment: a control plane
 * that moved needs no new enrollment. Only the first of `servers` is used today; the list is reserved
 * for several. Every command that talks to the control plane (run, upgrade, doctor) goes through this.
 */
export function withConfiguredServer<T extends Pick<AgentIdentity, "serverUrl">>(identity: T, env: Pick<AgentEnv, "servers">): T {
  const first = env.servers?.[0];
  return first === undefined ? identity : { ...identity, serverUrl: normalizeServerUrl(first) };
}
