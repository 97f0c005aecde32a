import { type AddressInfo, createConnection, createServer, type Socket } from "node:net";

/**
 * A TCP proxy between an agent and the control plane that can cut an artifact upload after a given
 * number of bytes, the way a flaky network would: both sockets are destroyed mid-stream. It also
 * records the `Upload-Offset` of every upload it forwards, so a test can see where a resume began.
 */
export class FaultProxy {
  readonly uploadOffsets: number[] = [];
  private readonly cuts: number[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly links = new Set<Socket>();
  private server = createServer((client) => this.handle(client));

  private constructor(private readonly targetPort: number) {}

  static async start(targetPort: number): Promise<FaultProxy> {
    const proxy = new FaultProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next artifact uploads are cut, one after another, once these many bytes of each have passed. */
  cutUploadsAfter(bytes: number[]): void {
    this.cuts.push(...bytes);
  }

  /** Cuts not made yet. */
  get cutsPending(): number {
    return this.cuts.length;
  }

  /** Cuts every live agent link (the WebSocket connections) at once, as a dropped network would. */
  cutLinks(): number {
    const n = this.links.size;
    for (const s of this.links) s.destroy();
    this.links.clear();
    return n;
  }

  private handle(client: Socket): void {
    const upstream = createConnection({ host: "127.0.0.1", port: this.targetPort });
    this.sockets.add(client).add(upstream);
    let uploadBytes: number | undefined;
    let cutHere: number | undefined;
    client.on("data", (chunk: Buffer) => {
      const text = chunk.toString("latin1");
      if (text.startsWith("GET /agent/v1/connect")) this.links.add(client).add(upstream);
      const start = text.indexOf("PATCH /agent/v1/artifacts/");
      if (start >= 0) {
        const offset = /\r\nupload-offset:\s*(\d+)/i.exec(text.slice(start));
        if (offset?.[1]) this.uploadOffsets.push(Number(offset[1]));
        uploadBytes = 0;
        cutHere = this.cuts.shift();
      }
      if (uploadBytes !== undefined) uploadBytes += chunk.length;
      if (cutHere !== undefined && uploadBytes !== undefined && uploadBytes >= cutHere) {
        client.destroy();
        upstream.destroy();
        return;
      }
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on("drain", () => client.resume());
    upstream.on("data", (chunk: Buffer) => {
      if (!client.write(chunk)) upstream.pause();
    });
    client.on("drain", () => upstream.resume());
    const close = () => {
      client.destroy();
      upstream.destroy();
      for (const set of [this.sockets, this.links]) {
        set.delete(client);
        set.delete(upstream);
      }
    };
    client.on("close", close).on("error", close);
    upstream.on("close", close).on("error", close);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
