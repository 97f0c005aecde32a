import type { NotificationChannelConfigs } from "@holdfast/shared";
import { postJson } from "../http-post.js";
import type { NotificationMessage, SendOptions } from "../message.js";

const COLORS = { info: 0x3b82f6, warning: 0xf59e0b, critical: 0xdc2626 } as const;

/**
 * A Discord webhook's payload (discord.com/developers/docs/resources/webhook#execute-webhook): one
 * embed within Discord's limits (title 256, description 4096); mentions off, so a datasource named
 * `@everyone` pings nobody.
 */
export function discordPayload(m: NotificationMessage) {
  return {
    username: "Holdfast",
    allowed_mentions: { parse: [] as string[] },
    embeds: [
      {
        title: m.title.slice(0, 256),
        description: m.text.slice(0, 4096),
        color: COLORS[m.severity],
        timestamp: m.occurredAt,
        ...(m.url ? { url: m.url } : {}),
        footer: { text: `${m.severity} · ${m.kind}` },
      },
    ],
  };
}

export async function sendDiscord(config: NotificationChannelConfigs["discord"], message: NotificationMessage, opts: SendOptions): Promise<void> {
  await postJson(config.webhookUrl, discordPayload(message), opts);
}
