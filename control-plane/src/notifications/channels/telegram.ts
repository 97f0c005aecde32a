import type { NotificationChannelConfigs } from "@holdfast/shared";
import { postJson } from "../http-post.js";
import { type NotificationMessage, plainText, type SendOptions } from "../message.js";

/**
 * The Bot API's sendMessage (core.telegram.org/bots/api#sendmessage): plain text (no parse mode, so
 * no name needs escaping), at most 4096 characters. The API puts the bot token in the path; it is
 * sealed at rest and never logged, and errors never carry the URL.
 */
export function telegramPayload(chatId: string, m: NotificationMessage) {
  return { chat_id: chatId, text: plainText(m).slice(0, 4096), disable_web_page_preview: true };
}

export async function sendTelegram(config: NotificationChannelConfigs["telegram"], message: NotificationMessage, opts: SendOptions): Promise<void> {
  const base = config.apiUrl.replace(/\/+$/, "");
  await postJson(`${base}/bot${config.botToken}/sendMessage`, telegramPayload(config.chatId, message), opts);
}
