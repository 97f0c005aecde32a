import net from "node:net";
import type { Finding } from "./finding.js";

/** Step 2: a TCP connection to the control plane's port opens within `timeoutMs`. */
export function checkTcp(address: string, port: number, timeoutMs: number): Promise<Finding[]> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    const done = (f: Finding) => {
      socket.destroy();
      resolve([f]);
    };
    socket.setTimeout(timeoutMs, () =>
      done({ check: "tcp", status: "fail", summary: `no TCP answer from ${address}:${port} within ${timeoutMs / 1000} s`, fix: "a firewall drops the packets: open the port from this host to the control plane" }),
    );
    socket.once("connect", () => done({ check: "tcp", status: "ok", summary: `TCP connection to ${address}:${port} opened` }));
    socket.once("error", (err: NodeJS.ErrnoException) =>
      done({
        check: "tcp",
        status: "fail",
        summary: `cannot connect to ${address}:${port} (${err.code ?? err.message})`,
        fix: err.code === "ECONNREFUSED" ? "nothing listens there: is the control plane running, and is the port in the URL right?" : "check routing and firewalls between this host and the control plane",
      }),
    );
  });
}
