import WebSocket from "ws";
import { AGENT_ROUTES, WS_SUBPROTOCOL } from "@holdfast/shared";

export type ConnectOutcome = { opened: true; socket: WebSocket; firstFrame: Promise<string> } | { opened: false; status: number };

/** Opens the agent link with a given JWT and reports whether the upgrade was accepted. */
export function connectWithJwt(baseUrl: string, jwt: string): Promise<ConnectOutcome> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, "ws")}${AGENT_ROUTES.connect}`, WS_SUBPROTOCOL, {
      headers: { authorization: `Bearer ${jwt}` },
    });
    const firstFrame = new Promise<string>((res) => socket.once("message", (d) => res(d.toString())));
    socket.once("open", () => resolve({ opened: true, socket, firstFrame }));
    socket.once("unexpected-response", (_req, res) => {
      resolve({ opened: false, status: res.statusCode ?? 0 });
      socket.terminate();
    });
    socket.once("error", (err) => reject(err));
  });
}
