import type { NotificationChannelConfigs, NotificationChannelType } from "@holdfast/shared";
import type { NotificationMessage, SendOptions } from "../message.js";
import { sendDiscord } from "./discord.js";
import { sendEmail } from "./email.js";
import { sendNtfy } from "./ntfy.js";
import { sendSlack } from "./slack.js";
import { sendTeams } from "./teams.js";
import { sendTelegram } from "./telegram.js";
import { sendWebhook } from "./webhook.js";

type Senders = { [K in NotificationChannelType]: (config: NotificationChannelConfigs[K], message: NotificationMessage, opts: SendOptions) => Promise<void> };

const SENDERS: Senders = { webhook: sendWebhook, email: sendEmail, slack: sendSlack, discord: sendDiscord, teams: sendTeams, telegram: sendTelegram, ntfy: sendNtfy };

/** Sends one message through a channel of any type; rejects with NOTIFICATION_SEND_FAILED or NOTIFICATION_ENDPOINT_FORBIDDEN. */
export function sendThrough<K extends NotificationChannelType>(type: K, config: NotificationChannelConfigs[K], message: NotificationMessage, opts: SendOptions): Promise<void> {
  return (SENDERS[type] as Senders[K])(config, message, opts);
}

/** The host a channel connects to: checked when it is saved or tested. */
export function targetHostOf(type: NotificationChannelType, config: Record<string, unknown>): string {
  if (type === "email") return config.host as string;
  const url = (config.url ?? config.webhookUrl ?? config.apiUrl ?? config.serverUrl) as string;
  return new URL(url).hostname;
}
