import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** What a webhook channel posted: the message's kind, title, text and subject, with its whole body. */
export interface WebhookHit {
  kind: string;
  title: string;
  text: string;
  subject: { datasourceId?: string; agentId?: string; destinationId?: string; runId?: string };
  body: Record<string, unknown>;
}

/** A real HTTP server that records every JSON body posted to it and answers 204. */
export async function startWebhookReceiver(): Promise<{ url: string; hits: WebhookHit[]; of(kind: string): WebhookHit[]; stop(): Promise<void> }> {
  const hits: WebhookHit[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      hits.push({ kind: String(body.kind), title: String(body.title), text: String(body.text), subject: (body.subject ?? {}) as WebhookHit["subject"], body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hits,
    of: (kind) => hits.filter((h) => h.kind === kind),
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}
