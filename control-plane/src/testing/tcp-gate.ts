import { type AddressInfo, createConnection, createServer, type Socket } from "node:net";

export interface TcpGate {
  /** The port to connect to instead of the target's. */
  port: number;
  /** Refuses from now on: live connections are cut, new ones closed at once (a server gone down). */
  down(): void;
  /** Forwards again. */
  up(): void;
  /** Connections accepted while up. */
  readonly connections: number;
  close(): Promise<void>;
}

/**
 * A loopback TCP forwarder in front of a test server that can be switched off and on, so a
 * destination can be "down for a while" and come back on the same address (s3rver and sshd pick
 * their ports at start and cannot be restarted on them reliably).
 */
export async function startTcpGate(targetPort: number): Promise<TcpGate> {
  const sockets = new Set<Socket>();
  let open = true;
  let connections = 0;
  const server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    connections += 1;
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    down() {
      open = false;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    up() {
      open = true;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
