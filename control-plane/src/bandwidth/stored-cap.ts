import { eq } from "drizzle-orm";
import type { AppContext } from "../context.js";
import type { CapKey, ReadCap } from "./transfer-caps.js";

/** Reads a key's cap as stored: the agent's or the destination's `transfer_cap_mibps` (null when the row is gone). */
export function storedCapReader(ctx: Pick<AppContext, "database">): ReadCap {
  return async (key: CapKey) => {
    const { db, t } = ctx.database;
    const [kind, id] = splitKey(key);
    const rows =
      kind === "agent"
        ? await db.select({ cap: t.agents.transferCapMiBps }).from(t.agents).where(eq(t.agents.id, id)).limit(1)
        : await db.select({ cap: t.destinations.transferCapMiBps }).from(t.destinations).where(eq(t.destinations.id, id)).limit(1);
    return rows[0]?.cap ?? null;
  };
}

function splitKey(key: CapKey): ["agent" | "destination", string] {
  const at = key.indexOf(":");
  return [key.slice(0, at) as "agent" | "destination", key.slice(at + 1)];
}
