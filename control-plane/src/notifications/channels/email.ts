import { isIP } from "node:net";
import { HoldfastError, normalizeHost, type NotificationChannelConfigs } from "@holdfast/shared";
import { createTransport } from "nodemailer";
import { resolveAllowed } from "../address-guard.js";
import { type NotificationMessage, plainText, type SendOptions } from "../message.js";

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The HTML part: the same words as the text part, escaped (names come from users). */
export function emailHtml(m: NotificationMessage): string {
  const link = m.url ? `<p><a href="${escapeHtml(m.url)}">Open in Holdfast</a></p>` : "";
  return `<!doctype html><html><body><h2>${escapeHtml(m.title)}</h2><p style="white-space:pre-wrap">${escapeHtml(m.text)}</p>${link}<p style="color:#666">${m.severity} · ${m.kind}</p></body></html>`;
}

/**
 * Sends through the channel's SMTP server with nodemailer: `tls` speaks TLS from the first byte,
 * `starttls` refuses a server that cannot upgrade, `none` is for a relay on the same host. The host
 * is resolved and checked here and nodemailer connects to that checked address (the certificate is
 * still verified against the host's name), so no second lookup can send it elsewhere.
 */
export async function sendEmail(config: NotificationChannelConfigs["email"], message: NotificationMessage, opts: SendOptions): Promise<void> {
  const address = await resolveAllowed(config.host, opts.strictAddresses);
  const transport = createTransport({
    host: address,
    port: config.port,
    secure: config.security === "tls",
    requireTLS: config.security === "starttls",
    ignoreTLS: config.security === "none",
    ...(config.username ? { auth: { user: config.username, pass: config.password ?? "" } } : {}),
    // The certificate is checked against the name the admin typed (SNI takes names only).
    tls: { ...(isIP(normalizeHost(config.host)) ? {} : { servername: normalizeHost(config.host) }), rejectUnauthorized: config.verifyCertificate },
    connectionTimeout: opts.timeoutMs,
    greetingTimeout: opts.timeoutMs,
    socketTimeout: opts.timeoutMs,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      transport.sendMail({ from: config.from, to: config.to, subject: `[Holdfast] ${message.title}`, text: plainText(message), html: emailHtml(message) }),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })), opts.timeoutMs);
      }),
    ]);
  } catch (err) {
    throw smtpFailure(err as Error & { code?: string; response?: string; responseCode?: number });
  } finally {
    clearTimeout(timer);
    transport.close();
  }
}

/** The server's own answer (`535 5.7.8 Authentication failed`) when it gave one; 5xx answers are final. */
function smtpFailure(err: Error & { code?: string; response?: string; responseCode?: number }): HoldfastError {
  if (err instanceof HoldfastError) return err;
  const reason = err.response ?? err.code ?? err.message;
  const final = err.responseCode !== undefined && err.responseCode >= 500;
  return new HoldfastError("NOTIFICATION_SEND_FAILED", `The mail server refused: ${reason}`, { reason, ...(err.responseCode ? { status: err.responseCode } : {}) }, !final);
}
