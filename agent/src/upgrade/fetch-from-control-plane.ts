import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import type { ReadableStream } from "node:stream/web";
import { HoldfastError } from "@holdfast/shared/protocol";
import type { AgentIdentity } from "../identity/identity-file.js";
import { ServerTrust } from "../link/server-trust.js";

export type UpgradeSource = Pick<AgentIdentity, "serverUrl" | "pins"> & { insecure?: boolean };

/**
 * The one place `holdfast-agent upgrade` reaches the control plane over HTTP: through the same
 * ServerTrust as the link (pins checked before the request leaves, so a self-signed control plane
 * works and another server is refused; plain http:// only to loopback or with --insecure), not plain
 * fetch, which knows only the system CAs. Bounded: `timeoutMs` aborts the request and its body.
 * Redirects are not followed (a 3xx is an error).
 */
export function fetchFromControlPlane(source: UpgradeSource, urlPath: string, timeoutMs: number): Promise<Response> {
  const url = new URL(urlPath, source.serverUrl);
  const trust = new ServerTrust(source.serverUrl, source.pins, source.insecure ?? false);
  const transport = url.protocol === "https:" ? https : http;
  return new Promise<Response>((resolve, reject) => {
    // No `agent` option: http.request uses connectOptions' createConnection only when no agent is given.
    const req = transport.request(url, { ...trust.connectOptions(), method: "GET", signal: AbortSignal.timeout(timeoutMs) }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        res.destroy();
        reject(new HoldfastError("PRECONDITION_FAILED", `The control plane answered ${status} (a redirect) for ${url.pathname}: redirects are not followed`, { status }));
        return;
      }
      const headers = new Headers();
      for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
      const body = status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
      resolve(new Response(body as globalThis.ReadableStream<Uint8Array> | null, { status, headers }));
    });
    req.once("error", reject);
    req.end();
  });
}
