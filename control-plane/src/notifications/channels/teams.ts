import type { NotificationChannelConfigs } from "@holdfast/shared";
import { postJson } from "../http-post.js";
import type { NotificationMessage, SendOptions } from "../message.js";

const COLORS = { info: "Accent", warning: "Warning", critical: "Attention" } as const;

/**
 * A Teams Workflows webhook's payload: a `message` with one Adaptive Card attachment (the shape
 * Microsoft documents for "Post to a channel when a webhook request is received"; the retired
 * Office 365 connectors took MessageCards instead).
 */
export function teamsPayload(m: NotificationMessage) {
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        contentUrl: null,
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body: [
            { type: "TextBlock", text: m.title, weight: "Bolder", size: "Medium", color: COLORS[m.severity], wrap: true },
            { type: "TextBlock", text: m.text, wrap: true },
            { type: "TextBlock", text: `${m.severity} · ${m.kind}`, isSubtle: true, size: "Small", wrap: true },
          ],
          ...(m.url ? { actions: [{ type: "Action.OpenUrl", title: "Open in Holdfast", url: m.url }] } : {}),
        },
      },
    ],
  };
}

export async function sendTeams(config: NotificationChannelConfigs["teams"], message: NotificationMessage, opts: SendOptions): Promise<void> {
  await postJson(config.webhookUrl, teamsPayload(message), opts);
}
