import type { NotificationKind, NotificationSeverity } from "@holdfast/shared";

/** What a notification is about: the object a receiver may look up. */
export interface NotificationSubject {
  datasourceId?: string;
  agentId?: string;
  destinationId?: string;
  runId?: string;
}

/** One notification as every channel renders it. */
export interface NotificationMessage {
  /** The send's id: the same on every retry, so a receiver can drop a duplicate. */
  id: string;
  kind: NotificationKind;
  severity: NotificationSeverity;
  title: string;
  text: string;
  url?: string | undefined;
  subject: NotificationSubject;
  conditionKey: string;
  occurredAt: string;
}

/** How a send may connect and for how long. */
export interface SendOptions {
  timeoutMs: number;
  strictAddresses: boolean;
}

/** The message as one plain-text block (e-mail, Telegram). */
export function plainText(message: Pick<NotificationMessage, "title" | "text" | "url">): string {
  return [message.title, "", message.text, ...(message.url ? ["", message.url] : [])].join("\n");
}
