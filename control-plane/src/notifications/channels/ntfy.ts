import type { NotificationChannelConfigs } from "@holdfast/shared";
import { postJson } from "../http-post.js";
import type { NotificationMessage, SendOptions } from "../message.js";

const PRIORITY = { info: 3, warning: 4, critical: 5 } as const;
const TAGS = { info: "information_source", warning: "warning", critical: "rotating_light" } as const;

/** ntfy's JSON publishing (docs.ntfy.sh/publish/#publish-as-json): POSTed to the server's root, the topic in the body. */
export function ntfyPayload(topic: string, m: NotificationMessage) {
  return { topic, title: m.title, message: m.text, priority: PRIORITY[m.severity], tags: [TAGS[m.severity], "holdfast"], ...(m.url ? { click: m.url } : {}) };
}

export async function sendNtfy(config: NotificationChannelConfigs["ntfy"], message: NotificationMessage, opts: SendOptions): Promise<void> {
  const headers: Record<string, string> = config.accessToken ? { authorization: `Bearer ${config.accessToken}` } : {};
  await postJson(`${config.serverUrl.replace(/\/+$/, "")}/`, ntfyPayload(config.topic, message), { ...opts, headers });
}
