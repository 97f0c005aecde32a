import { createHmac } from "node:crypto";
import type { NotificationChannelConfigs } from "@holdfast/shared";
import { postJson } from "../http-post.js";
import type { NotificationMessage, SendOptions } from "../message.js";

/** The header carrying the signature, as Stripe's `Stripe-Signature`: `t=<unix seconds>,v1=<hex>`. */
export const SIGNATURE_HEADER = "Holdfast-Signature";

/**
 * The signature of a body sent at `timestamp` (unix seconds): HMAC-SHA256 under the channel's
 * secret over `<timestamp>.<body>`, hex. A receiver recomputes it over the raw body it received and
 * the `t` of the header, compares in constant time, and refuses a `t` older than its tolerance
 * (5 minutes is usual) so a captured request cannot be replayed later (docs/decisions.md).
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

/** The JSON a webhook receives: the message as is, with a version to grow by. */
export function webhookBody(message: NotificationMessage): string {
  return JSON.stringify({ version: 1, ...message });
}

export async function sendWebhook(config: NotificationChannelConfigs["webhook"], message: NotificationMessage, opts: SendOptions): Promise<void> {
  const body = webhookBody(message);
  const timestamp = Math.floor(Date.now() / 1000);
  await postJson(config.url, body, {
    ...opts,
    headers: { [SIGNATURE_HEADER]: signWebhook(config.secret, timestamp, body), "Holdfast-Event": message.kind, "Holdfast-Delivery": message.id },
  });
}
