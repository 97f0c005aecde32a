import { HoldfastError, newId, type NotificationChannelType, type NotificationTestResult, toErrorBody } from "@holdfast/shared";
import { type ChannelContext, findChannelRow, openChannelConfig } from "./channel-rows.js";
import { sendThrough } from "./channels/index.js";
import { checkTarget } from "./check-target.js";

/**
 * "Send test": one message through the channel now, outside the queue, so the admin sees at once
 * whether it arrives and, when not, the remote's own reason (a revoked webhook, a refused password).
 */
export async function testChannel(ctx: ChannelContext, id: string): Promise<NotificationTestResult> {
  const row = await findChannelRow(ctx, id);
  const type = row.type as NotificationChannelType;
  const config = openChannelConfig(ctx.secrets, row);
  try {
    await checkTarget(ctx, type, config);
    await sendThrough(type, config, {
      id: newId("nts"),
      kind: "backup.succeeded",
      severity: "info",
      title: "Holdfast test notification",
      text: `This is a test of the notification channel "${row.name}". If you can read it, alerts will reach you here.`,
      subject: {},
      conditionKey: `test:${id}`,
      occurredAt: ctx.clock.now().toISOString(),
    }, { timeoutMs: ctx.env.notifyTimeoutMs, strictAddresses: ctx.env.notifyStrictAddresses });
    return { ok: true };
  } catch (err) {
    if (!(err instanceof HoldfastError)) throw err;
    return { ok: false, error: toErrorBody(err) };
  }
}
