import type { NotificationChannelType } from "@holdfast/shared";
import type { FieldText } from "../../ui/schema-form/schema-fields.js";

export const TYPE_LABELS: Record<NotificationChannelType, string> = {
  webhook: "Webhook",
  email: "E-mail",
  slack: "Slack",
  discord: "Discord",
  teams: "Microsoft Teams",
  telegram: "Telegram",
  ntfy: "ntfy",
};

const WEBHOOK_URL = (service: string, placeholder: string): Record<string, FieldText> => ({
  webhookUrl: { label: `${service} webhook URL`, description: "The URL is the credential: sealed on the control plane, never shown again.", placeholder },
});

/** The words for each config field of each type (`shared/src/api/notifications.ts` says which fields a type has). */
export const CONFIG_TEXTS: Record<NotificationChannelType, Record<string, FieldText>> = {
  webhook: {
    url: { label: "URL", description: "Receives each alert as JSON (POST).", placeholder: "https://alerts.example.com/holdfast" },
    secret: { label: "Signing secret", description: "At least 16 characters. Each request carries Holdfast-Signature: t=…,v1=HMAC-SHA256(secret, t + \".\" + body); sealed, never shown again." },
  },
  email: {
    host: { label: "SMTP host", placeholder: "smtp.example.com" },
    port: { label: "Port", description: "587 for STARTTLS, 465 for TLS." },
    security: { label: "Security", description: "starttls: upgrade required; tls: TLS from the start; none: a relay on this host only." },
    username: { label: "User" },
    password: { label: "Password", description: "Sealed on the control plane; never shown again." },
    from: { label: "From", placeholder: "holdfast@example.com" },
    to: { label: "To", description: "One or more addresses (Enter after each).", placeholder: "ops@example.com" },
    verifyCertificate: { label: "Verify the server's certificate", description: "Turn off only for a relay with a self-signed certificate on a network you trust." },
  },
  slack: WEBHOOK_URL("Slack", "https://hooks.slack.com/services/…"),
  discord: WEBHOOK_URL("Discord", "https://discord.com/api/webhooks/…"),
  teams: WEBHOOK_URL("Teams Workflows", "https://….logic.azure.com/workflows/…"),
  telegram: {
    botToken: { label: "Bot token", description: "From @BotFather; sealed, never shown again.", placeholder: "123456:ABC-…" },
    chatId: { label: "Chat", description: "A chat id (-100…) or @channelname the bot may post to.", placeholder: "-1001234567890" },
    apiUrl: { label: "Bot API server", description: "Telegram's own unless you run one." },
  },
  ntfy: {
    serverUrl: { label: "Server", placeholder: "https://ntfy.sh" },
    topic: { label: "Topic", placeholder: "holdfast-alerts" },
    accessToken: { label: "Access token", description: "For a protected topic (tk_…); sealed, never shown again." },
  },
};

/** Where a channel sends, in one line, without any secret. */
export function targetOf(type: NotificationChannelType, config: Record<string, unknown>): string {
  const s = (k: string) => (typeof config[k] === "string" ? (config[k] as string) : "");
  if (type === "webhook") return s("url");
  if (type === "email") return `${(config.to as string[] | undefined)?.join(", ") ?? ""} via ${s("host")}`;
  if (type === "telegram") return `chat ${s("chatId")}`;
  if (type === "ntfy") return `${s("serverUrl")}/${s("topic")}`;
  return `${TYPE_LABELS[type]} incoming webhook`;
}
