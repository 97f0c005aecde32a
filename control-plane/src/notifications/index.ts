export { notify, closeCondition, type NotifyEvent, type NotifyOutcome } from "./notify.js";
export { notifyBackupFailed, notifyBackupSucceeded, notifyDeliveryCompleted, notifyDeliveryFailed } from "./producers.js";
export { createNotificationWorker, type NotificationWorker, type NotificationWorkerOptions } from "./send-worker.js";
export { createAgentPresenceAlerts, type AgentPresenceAlerts } from "./agent-presence.js";
export { createChannel, deleteChannel, getChannel, listChannels, updateChannel } from "./manage-channels.js";
export { testChannel } from "./test-channel.js";
export { listSends } from "./list-sends.js";
export { SIGNATURE_HEADER, signWebhook } from "./channels/webhook.js";
export type { NotificationMessage, NotificationSubject } from "./message.js";
