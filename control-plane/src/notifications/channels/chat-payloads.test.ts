import { http, HttpResponse } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { NotificationMessage } from "../message.js";
import { sendDiscord } from "./discord.js";
import { sendNtfy } from "./ntfy.js";
import { sendSlack } from "./slack.js";
import { sendTeams } from "./teams.js";
import { sendTelegram } from "./telegram.js";

/**
 * The chat services cannot run here: msw answers for them, and each test checks the request
 * against the payload shape the service documents (linked in each formatter).
 */
// No DNS here: the services' names resolve to a documentation address, so the send's address guard
// (its own lookup) still runs on every request.
vi.mock("node:dns", async (importOriginal) => {
  const dns = await importOriginal<typeof import("node:dns")>();
  const lookup = (_host: string, options: unknown, callback: (err: null, addresses: { address: string; family: number }[]) => void) => callback(null, [{ address: "203.0.113.10", family: 4 }]);
  return { ...dns, default: { ...dns, lookup }, lookup };
});

const message: NotificationMessage = {
  id: "nts_1",
  kind: "agent.offline",
  severity: "warning",
  title: "Agent db-host is offline",
  text: "The agent db-host has not been connected for 5 min.",
  url: "https://holdfast.example/agents/agt_1",
  subject: { agentId: "agt_1" },
  conditionKey: "agent:agt_1",
  occurredAt: "2026-12-07T05:00:00.000Z",
};
const opts = { timeoutMs: 5000, strictAddresses: false };
const seen: { url: string; headers: Headers; body: Record<string, unknown> }[] = [];
const record = async ({ request }: { request: Request }) => {
  seen.push({ url: request.url, headers: request.headers, body: (await request.json()) as Record<string, unknown> });
};

const server = setupServer(
  http.post("https://hooks.slack.com/services/T000/B000/XXXX", async (r) => (await record(r), HttpResponse.text("ok"))),
  http.post("https://discord.com/api/webhooks/123/abc", async (r) => (await record(r), new HttpResponse(null, { status: 204 }))),
  http.post("https://prod.westeurope.logic.azure.com/workflows/1/triggers/manual/paths/invoke", async (r) => (await record(r), new HttpResponse(null, { status: 202 }))),
  // RegExps: a `:` in a path string is a parameter to msw.
  http.post(/^https:\/\/api\.telegram\.org\/bot123456:GOOD-token\/sendMessage$/, async (r) => (await record(r), HttpResponse.json({ ok: true, result: { message_id: 1 } }))),
  http.post(/^https:\/\/api\.telegram\.org\/bot123456:BAD-token\/sendMessage$/, () => HttpResponse.json({ ok: false, error_code: 401, description: "Unauthorized" }, { status: 401 })),
  http.post("https://ntfy.example/", async (r) => (await record(r), HttpResponse.json({ id: "x", event: "message" }))),
);
beforeAll(() => server.listen({ onUnhandledRequest: "error" }));
afterEach(() => {
  seen.length = 0;
});
afterAll(() => server.close());

describe("chat payloads", () => {
  it("Slack: a fallback text and Block Kit blocks", async () => {
    await sendSlack({ webhookUrl: "https://hooks.slack.com/services/T000/B000/XXXX" }, message, opts);
    const { body } = seen[0]!;
    expect(body.text).toContain(message.title);
    const blocks = body.blocks as { type: string; text?: { type: string; text: string } }[];
    expect(blocks[0]).toEqual({ type: "header", text: { type: "plain_text", text: message.title } });
    expect(blocks[1]).toEqual({ type: "section", text: { type: "mrkdwn", text: message.text } });
    expect(blocks.every((b) => ["header", "section", "context"].includes(b.type))).toBe(true);
    expect(JSON.stringify(blocks)).toContain(`<${message.url}|Open in Holdfast>`);
  });

  it("Discord: one embed within the limits, no mentions", async () => {
    await sendDiscord({ webhookUrl: "https://discord.com/api/webhooks/123/abc" }, message, opts);
    const { body } = seen[0]!;
    expect(body).toMatchObject({ allowed_mentions: { parse: [] }, embeds: [{ title: message.title, description: message.text, url: message.url, timestamp: message.occurredAt }] });
    const embed = (body.embeds as Record<string, unknown>[])[0]!;
    expect(Number.isInteger(embed.color)).toBe(true);
  });

  it("Teams: a message with one Adaptive Card attachment", async () => {
    await sendTeams({ webhookUrl: "https://prod.westeurope.logic.azure.com/workflows/1/triggers/manual/paths/invoke" }, message, opts);
    const { body } = seen[0]!;
    expect(body.type).toBe("message");
    const [attachment] = body.attachments as { contentType: string; content: Record<string, unknown> }[];
    expect(attachment!.contentType).toBe("application/vnd.microsoft.card.adaptive");
    expect(attachment!.content).toMatchObject({ type: "AdaptiveCard", version: "1.4", $schema: "http://adaptivecards.io/schemas/adaptive-card.json" });
    expect((attachment!.content.body as { type: string; text: string }[]).map((b) => [b.type, b.text]).slice(0, 2)).toEqual([
      ["TextBlock", message.title],
      ["TextBlock", message.text],
    ]);
    expect(attachment!.content.actions).toEqual([{ type: "Action.OpenUrl", title: "Open in Holdfast", url: message.url }]);
  });

  it("Telegram: sendMessage with chat_id and text; a refused token fails with Telegram's description", async () => {
    await sendTelegram({ botToken: "123456:GOOD-token", chatId: "-1001234", apiUrl: "https://api.telegram.org" }, message, opts);
    const { body } = seen[0]!;
    expect(body).toEqual({ chat_id: "-1001234", text: `${message.title}\n\n${message.text}\n\n${message.url}`, disable_web_page_preview: true });
    const err = await sendTelegram({ botToken: "123456:BAD-token", chatId: "-1001234", apiUrl: "https://api.telegram.org" }, message, opts).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "NOTIFICATION_SEND_FAILED", retryable: false, details: { status: 401, reason: "Unauthorized" } });
    expect(JSON.stringify(err)).not.toContain("BAD-token");
    expect((err as Error).message).not.toContain("BAD-token");
  });

  it("ntfy: JSON published to the server's root with the topic, priority and click; the token as a bearer header", async () => {
    await sendNtfy({ serverUrl: "https://ntfy.example", topic: "backups", accessToken: "tk_secret" }, message, opts);
    const { body, headers, url } = seen[0]!;
    expect(url).toBe("https://ntfy.example/");
    expect(body).toEqual({ topic: "backups", title: message.title, message: message.text, priority: 4, tags: ["warning", "holdfast"], click: message.url });
    expect(headers.get("authorization")).toBe("Bearer tk_secret");
  });
});
