import https from "node:https";
import type { PeerCertificate, TLSSocket } from "node:tls";
import { type Api, type CliResult, freePort, HOLDFAST_BIN, ManagedProcess, runCli, tempDir, waitFor } from "./processes.js";

/** A `holdfast serve` serving HTTPS and WSS itself (HOLDFAST_TLS_CERT/_KEY), and a client that trusts `ca`. */
export type TlsControlPlane = {
  url: string;
  port: number;
  dataDir: string;
  env: Record<string, string>;
  process: ManagedProcess;
  /** The certificate this test's client trusts (the served one, self-signed, or its CA). */
  ca: Buffer;
  cli(args: string[], input?: string): Promise<CliResult>;
  /** Stops and starts again, with `env` changes applied and the client trusting `ca` when given. */
  restart(changes?: Record<string, string>, ca?: Buffer): Promise<void>;
};

/** One HTTPS request trusting `ca`; resolves with the status, the body, and the leaf the server presented. */
export function httpsRequest(url: string, ca: Buffer, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; text: string; peer: PeerCertificate }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: init.method ?? "GET", headers: init.headers ?? {}, ca, agent: false }, (res) => {
      const peer = (res.socket as TLSSocket).getPeerCertificate();
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, peer }));
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`no answer from ${url} in 30 s`)));
    req.on("error", reject);
    req.end(init.body);
  });
}

export async function startTlsControlPlane(opts: { certFile: string; keyFile: string; ca: Buffer; env?: Record<string, string> }): Promise<TlsControlPlane> {
  const dataDir = tempDir("cp-tls");
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const env: Record<string, string> = { HOLDFAST_DATA_DIR: dataDir, HOLDFAST_TLS_CERT: opts.certFile, HOLDFAST_TLS_KEY: opts.keyFile, ...opts.env };
  const boot = async (ca: Buffer) => {
    const p = ManagedProcess.start(HOLDFAST_BIN, ["serve", "--port", String(port)], env);
    await waitFor(`the control plane on ${url}`, async () => {
      if (!p.running) throw new Error(`holdfast serve exited:\n${p.output}`);
      const res = await httpsRequest(`${url}/healthz`, ca).catch(() => undefined);
      return res?.status === 200;
    });
    return p;
  };
  const cp: TlsControlPlane = {
    url,
    port,
    dataDir,
    env,
    ca: opts.ca,
    process: await boot(opts.ca),
    cli: (args, input) => runCli(HOLDFAST_BIN, args, { env, ...(input === undefined ? {} : { input }) }),
    async restart(changes = {}, ca) {
      await cp.process.stop();
      Object.assign(env, changes);
      if (ca) cp.ca = ca;
      cp.process = await boot(cp.ca);
    },
  };
  return cp;
}

/** The admin API over HTTPS, trusting the control plane's current `ca`. */
export function tlsApi(cp: TlsControlPlane, token: string): Api {
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await httpsRequest(`${cp.url}/api/v1${p}`, cp.ca, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: res.text ? JSON.parse(res.text) : null };
  };
  return {
    get: (p) => call("GET", p),
    post: (p, b) => call("POST", p, b),
    patch: (p, b) => call("PATCH", p, b),
    delete: (p) => call("DELETE", p),
    fetch: () => {
      throw new Error("tlsApi: raw fetch is not offered; use httpsRequest");
    },
  };
}

