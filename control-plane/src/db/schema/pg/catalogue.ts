// PostgreSQL tables that keep the catalogue's dashboard figures cheap at a million runs: ../sqlite/catalogue.ts, column for column.
import { bigint, pgTable, primaryKey, text } from "drizzle-orm/pg-core";

/** Per destination, the live completed copies (`deliveries` completed and not deleted): their bytes and count. */
export const destinationUsage = pgTable("destination_usage", {
  destinationId: text("destination_id").primaryKey(),
  bytes: bigint("bytes", { mode: "number" }).notNull().default(0),
  backups: bigint("backups", { mode: "number" }).notNull().default(0),
});

/** Per datasource, a counter bumped by every write that may change which of its backups is good (../sqlite/catalogue.ts). */
export const datasourceVersions = pgTable("datasource_versions", {
  datasourceId: text("datasource_id").primaryKey(),
  version: bigint("version", { mode: "number" }).notNull().default(0),
});

/** Per UTC day (days since the epoch), a counter bumped by every write to a backup run created that day. */
export const backupDayVersions = pgTable("backup_day_versions", {
  day: bigint("day", { mode: "number" }).notNull(),
  version: bigint("version", { mode: "number" }).notNull().default(0),
},
  // A table key, not the column's: the same insert type in both dialects (SQLite makes an integer column key optional).
  (t) => [primaryKey({ columns: [t.day] })],
);
