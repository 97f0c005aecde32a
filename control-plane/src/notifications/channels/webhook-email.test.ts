import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { HoldfastError } from "@holdfast/shared";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NotificationMessage } from "../message.js";
import { sendEmail } from "./email.js";
import { sendWebhook } from "./webhook.js";

const message: NotificationMessage = {
  id: "nts_1",
  kind: "backup.failed",
  severity: "critical",
  title: "Backup of orders failed",
  text: "pg_dump: connection refused (DATABASE_UNREACHABLE) <b>not html</b>",
  subject: { datasourceId: "ds_1", runId: "run_1" },
  conditionKey: "backup:ds_1",
  occurredAt: "2026-12-07T05:00:00.000Z",
};
const opts = { timeoutMs: 5000, strictAddresses: false };

/**
 * The receiver's side, as docs/decisions.md ("Notifications") tells one to write it: split the
 * header, refuse an old timestamp, recompute the HMAC over `t.rawBody`, compare in constant time.
 */
function verifySignature(secret: string, header: string, rawBody: string, nowSeconds: number, toleranceSeconds = 300): boolean {
  const parts = Object.fromEntries(header.split(",").map((p) => p.split("=", 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds || !parts.v1) return false;
  const expected = Buffer.from(createHmac("sha256", secret).update(`${t}.${rawBody}`).digest("hex"));
  const given = Buffer.from(parts.v1);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });

describe("webhook channel", () => {
  const secret = "a-receiver-secret-of-some-length";
  const received: { headers: IncomingMessage["headers"]; body: string }[] = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      void readBody(req).then((body) => {
        received.push({ headers: req.headers, body });
        res.writeHead(req.url === "/refuse" ? 401 : 204, { "content-type": "application/json" }).end(req.url === "/refuse" ? JSON.stringify({ error: "unknown signing key" }) : undefined);
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("posts the message as JSON with a signature the receiver verifies, and a stale one it refuses", async () => {
    await sendWebhook({ url: `${url}/hook`, secret }, message, opts);
    const got = received.at(-1)!;
    expect(JSON.parse(got.body)).toMatchObject({ version: 1, id: "nts_1", kind: "backup.failed", severity: "critical", title: message.title, subject: { datasourceId: "ds_1" } });
    expect(got.headers["holdfast-event"]).toBe("backup.failed");
    expect(got.headers["holdfast-delivery"]).toBe("nts_1");
    const header = got.headers["holdfast-signature"] as string;
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    const now = Math.floor(Date.now() / 1000);
    expect(verifySignature(secret, header, got.body, now)).toBe(true);
    expect(verifySignature("another secret entirely!", header, got.body, now)).toBe(false);
    expect(verifySignature(secret, header, got.body.replace("orders", "ordres"), now)).toBe(false);
    // Replayed ten minutes later: outside the tolerance.
    expect(verifySignature(secret, header, got.body, now + 600)).toBe(false);
  });

  it("fails with the receiver's reason when it refuses", async () => {
    const err = await sendWebhook({ url: `${url}/refuse`, secret }, message, opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HoldfastError);
    expect(err).toMatchObject({ code: "NOTIFICATION_SEND_FAILED", retryable: false, details: { status: 401, reason: "unknown signing key" } });
  });

  it("refuses the cloud metadata address before connecting, and a loopback name in strict mode when it resolves", async () => {
    const meta = await sendWebhook({ url: "http://169.254.169.254/latest/meta-data/", secret }, message, opts).catch((e: unknown) => e);
    expect(meta).toMatchObject({ code: "NOTIFICATION_ENDPOINT_FORBIDDEN" });
    const count = received.length;
    const strict = await sendWebhook({ url: url.replace("127.0.0.1", "localhost"), secret }, message, { ...opts, strictAddresses: true }).catch((e: unknown) => e);
    expect(strict).toMatchObject({ code: "NOTIFICATION_ENDPOINT_FORBIDDEN" });
    expect(received.length).toBe(count);
  });
});

describe("e-mail channel", () => {
  const mails: { from: string; to: string[]; user: string | undefined; secure: boolean; raw: string }[] = [];
  let smtp: SMTPServer;
  let port: number;

  beforeAll(async () => {
    smtp = new SMTPServer({
      // smtp-server's built-in self-signed certificate serves STARTTLS.
      authMethods: ["PLAIN", "LOGIN"],
      onAuth(auth, _session, callback) {
        if (auth.username === "holdfast" && auth.password === "mail-password") return callback(null, { user: auth.username });
        callback(Object.assign(new Error("Authentication credentials invalid"), { responseCode: 535 }));
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
            to: session.envelope.rcptTo.map((r) => r.address),
            user: session.user as string | undefined,
            secure: session.secure,
            raw: Buffer.concat(chunks).toString("utf8"),
          });
          callback();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, "127.0.0.1", () => r()));
    port = (smtp.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => smtp.close(() => r())));

  const config = (extra: Record<string, unknown> = {}) => ({
    host: "127.0.0.1",
    port,
    security: "starttls" as const,
    username: "holdfast",
    password: "mail-password",
    from: "holdfast@example.com",
    to: ["ops@example.com", "dba@example.com"],
    verifyCertificate: false,
    ...extra,
  });

  it("delivers over STARTTLS with a plain-text and an HTML part", async () => {
    await sendEmail(config(), message, opts);
    const mail = mails.at(-1)!;
    expect(mail).toMatchObject({ from: "holdfast@example.com", to: ["ops@example.com", "dba@example.com"], user: "holdfast", secure: true });
    expect(mail.raw).toContain("Subject: [Holdfast] Backup of orders failed");
    expect(mail.raw).toMatch(/multipart\/alternative/);
    expect(mail.raw).toMatch(/Content-Type: text\/plain[\s\S]*pg_dump: connection refused[\s\S]*Content-Type: text\/html/);
    // User text is escaped in the HTML part.
    expect(mail.raw).toContain("&#60;b&#62;not html&#60;/b&#62;");
  });

  it("fails with the server's own answer on a wrong password, not to be retried", async () => {
    const err = await sendEmail(config({ password: "wrong" }), message, opts).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "NOTIFICATION_SEND_FAILED", retryable: false });
    expect((err as HoldfastError).message).toMatch(/535.*Authentication credentials invalid/);
  });

  it("refuses an SMTP host on the metadata address", async () => {
    const err = await sendEmail(config({ host: "169.254.169.254" }), message, opts).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "NOTIFICATION_ENDPOINT_FORBIDDEN" });
  });
});
