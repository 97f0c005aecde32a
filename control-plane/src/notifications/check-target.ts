import type { NotificationChannelType } from "@holdfast/shared";
import { assertTargetAllowed } from "./address-guard.js";
import type { ChannelConfig, ChannelContext } from "./channel-rows.js";
import { targetHostOf } from "./channels/index.js";

/** The target's address policy, before anything is stored or sent: a refused channel is 422 and nothing is kept. */
export const checkTarget = (ctx: Pick<ChannelContext, "env">, type: NotificationChannelType, config: ChannelConfig) =>
  assertTargetAllowed(targetHostOf(type, config as Record<string, unknown>), ctx.env.notifyStrictAddresses);
