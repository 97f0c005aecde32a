// PRE-INTEGRATION FALLBACK (h/install): until h/tls (`holdfast serve --tls-cert --tls-key`) and
// h/package (the control plane's /install/* routes) land, the install test puts this HTTPS front,
// with the test's self-signed certificate, before a plain-HTTP control plane: it answers
// /install/manifest.json, /install/packages/<file> and /install/agent.sh from `files`, and passes
// everything else (the API, the agent's WebSocket) through. The integrator deletes it and serves
// the control plane itself over TLS.
import http from "node:http";
import https from "node:https";
import net from "node:net";

export type TlsFront = { url: string; port: number; files: Map<string, Buffer>; close(): Promise<void> };

export async function startTlsFront(opts: { cert: string; key: string; target: string; files?: Map<string, Buffer> }): Promise<TlsFront> {
  const files = opts.files ?? new Map<string, Buffer>();
  const target = new URL(opts.target);
  const server = https.createServer({ cert: opts.cert, key: opts.key }, (req, res) => {
    const local = files.get(req.url ?? "");
    if (local) {
      res.writeHead(200, { "content-length": local.length });
      res.end(local);
      return;
    }
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  server.on("upgrade", (req, socket, head) => {
    const up = net.connect(Number(target.port), target.hostname, () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join("\r\n")}\r\n\r\n`);
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on("error", () => socket.destroy());
    socket.on("error", () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    files,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
