// SQLite tables that keep the catalogue's dashboard figures cheap at a million runs (docs/decisions.md,
// "Stats at a million runs"). Triggers on runs, deliveries and destinations keep them (migration
// 0028), so no writer can forget them. Mirrored by ../pg/catalogue.ts.
import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Per destination, the live completed copies (`deliveries` completed and not deleted): their bytes and count. */
export const destinationUsage = sqliteTable("destination_usage", {
  destinationId: text("destination_id").primaryKey(),
  bytes: integer("bytes").notNull().default(0),
  backups: integer("backups").notNull().default(0),
});

/**
 * Per datasource, a counter bumped by every write that may change which of its backups is good
 * (artifacts/good-backup.ts): an answer computed at a version stays right while the version does.
 * A datasource without a row is at version 0.
 */
export const datasourceVersions = sqliteTable("datasource_versions", {
  datasourceId: text("datasource_id").primaryKey(),
  version: integer("version").notNull().default(0),
});

/** Per UTC day (days since the epoch), a counter bumped by every write to a backup run created that day (stats/day-groups.ts). */
export const backupDayVersions = sqliteTable("backup_day_versions", {
  day: integer("day").notNull(),
  version: integer("version").notNull().default(0),
},
  // A table key, not the column's: the same insert type in both dialects (SQLite makes an integer column key optional).
  (t) => [primaryKey({ columns: [t.day] })],
);
