import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { LOCK_IDS } from "./lock-ids.js";

describe("advisory lock keys", () => {
  it("are distinct, and the migrations' SQL takes only the keys listed here", () => {
    const keys = Object.values(LOCK_IDS);
    expect(new Set(keys).size).toBe(keys.length);
    const folder = fileURLToPath(new URL("../../drizzle/pg/", import.meta.url));
    const inSql = readdirSync(folder)
      .filter((f) => f.endsWith(".sql"))
      .flatMap((f) => [...readFileSync(folder + f, "utf8").matchAll(/pg_advisory(?:_xact)?_lock\((\d+)\)/g)].map((m) => Number(m[1])));
    expect(inSql).toContain(LOCK_IDS.liveEvents);
    for (const key of inSql) expect(keys).toContain(key);
  });
});
