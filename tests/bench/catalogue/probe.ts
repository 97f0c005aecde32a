// Scratch: times the catalogue's domain calls in-process on a small generated SQLite catalogue.
import { mkdtempSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { openDatabase } from "../../../control-plane/src/db/index.js";
import { previewRetention } from "../../../control-plane/src/retention/preview-retention.js";
import { getStats } from "../../../control-plane/src/stats/get-stats.js";
import { FULL_SIZE, generateSqlite } from "./generate.js";

const dir = mkdtempSync("/tmp/catprobe/x");
const file = path.join(dir, "holdfast.db");
const now = Date.now();
(await openDatabase({ databaseUrl: undefined, sqlitePath: file })).close();
const c = new BetterSqlite3(file);
await generateSqlite(c, { ...FULL_SIZE, runs: Number(process.argv[2] ?? 20000) }, now);
c.close();
const database = await openDatabase({ databaseUrl: undefined, sqlitePath: file });
const ctx = { database, clock: { now: () => new Date(now), setTimeout: () => () => {} }, env: { manualRetentionDays: 0 } } as never;
for (const [name, f] of [["preview", () => previewRetention(ctx, "sch_b5y")], ["stats", () => getStats(ctx, { days: 30 })]] as const) {
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await f();
    console.log(name, (performance.now() - t0).toFixed(1));
  }
}
const { lastGoodBackups: newest } = await import("../../../control-plane/src/artifacts/good-backup.js");
const { lastGoodBackups } = await import("../../../control-plane/src/stats/last-good-backup.js");
const { dayStateGroups } = await import("../../../control-plane/src/stats/get-stats.js");
const { deliveredBackups } = await import("../../../control-plane/src/retention/collect-backups.js");
const { eq } = await import("drizzle-orm");
const ids = (await database.db.select({ id: database.t.datasources.id }).from(database.t.datasources)).map((r) => r.id);
for (const [name, f] of [
  ["newest", () => newest(ctx, ids)],
  ["lastGood", () => lastGoodBackups(ctx, now)],
  ["groups", () => dayStateGroups(ctx, now, 30)],
  ["delivered", () => deliveredBackups(ctx, eq(database.t.runs.scheduleId, "sch_b5y"))],
] as const) {
  for (let i = 0; i < 3; i++) {
  const t0 = performance.now();
  await f();
  console.log(name, (performance.now() - t0).toFixed(1));
  }
}
