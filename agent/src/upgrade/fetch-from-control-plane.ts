import type { AgentIdentity } from "../identity/identity-file.js";

/**
 * The one place `holdfast-agent upgrade` reaches the control plane over HTTP. The integrator points it
 * at the pinned connection (identity.pins, h/tls); until then it is plain fetch, so a self-signed
 * control plane only works once that switch is made. Bounded: `timeoutMs` aborts the request.
 */
export async function fetchFromControlPlane(identity: Pick<AgentIdentity, "serverUrl" | "pins">, urlPath: string, timeoutMs: number): Promise<Response> {
  return fetch(new URL(urlPath, identity.serverUrl), { signal: AbortSignal.timeout(timeoutMs), redirect: "error" });
}
