import type { AppContext } from "../context.js";
import { type PeriodicPass, startPeriodicPass } from "../timers/periodic-pass.js";
import type { LinkHub } from "./hub.js";
import { RELAY_POLL_MS } from "./relay.js";

/** How often a failing relay pass may log: a database outage must not write twenty lines a second. */
const LOG_EVERY_MS = 60_000;

/**
 * Sends, every RELAY_POLL_MS, the commands other replicas wrote for the agents whose links this one
 * holds (off where no other replica can exist: `enabled` false on SQLite).
 */
export function startRelayWorker(ctx: Pick<AppContext, "clock" | "log">, hub: Pick<LinkHub, "deliverRelayed">, enabled: boolean): PeriodicPass<number> {
  let lastLogged = -Infinity;
  return startPeriodicPass(ctx, {
    name: "command relay",
    everyMs: enabled ? RELAY_POLL_MS : 0,
    pass: async () => {
      try {
        return await hub.deliverRelayed();
      } catch (err) {
        const now = ctx.clock.now().getTime();
        if (now - lastLogged >= LOG_EVERY_MS) {
          lastLogged = now;
          ctx.log.error({ err }, "could not relay commands from other control planes (retrying; logged once a minute)");
        }
        return 0;
      }
    },
  });
}
