import type { NotificationChannelConfigs } from "@holdfast/shared";
import { postJson } from "../http-post.js";
import type { NotificationMessage, SendOptions } from "../message.js";

const EMOJI = { info: ":information_source:", warning: ":warning:", critical: ":rotating_light:" } as const;

/**
 * A Slack incoming webhook's payload (api.slack.com/messaging/webhooks): `text` is the fallback shown
 * in notifications, `blocks` the message (a header and a section; mrkdwn).
 */
export function slackPayload(m: NotificationMessage) {
  return {
    text: `${EMOJI[m.severity]} ${m.title}`,
    blocks: [
      { type: "header", text: { type: "plain_text", text: m.title.slice(0, 150) } },
      { type: "section", text: { type: "mrkdwn", text: m.text.slice(0, 3000) } },
      ...(m.url ? [{ type: "section", text: { type: "mrkdwn", text: `<${m.url}|Open in Holdfast>` } }] : []),
      { type: "context", elements: [{ type: "mrkdwn", text: `${EMOJI[m.severity]} ${m.severity} · ${m.kind}` }] },
    ],
  };
}

export async function sendSlack(config: NotificationChannelConfigs["slack"], message: NotificationMessage, opts: SendOptions): Promise<void> {
  await postJson(config.webhookUrl, slackPayload(message), opts);
}
