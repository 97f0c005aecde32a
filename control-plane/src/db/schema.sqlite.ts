/**
 * The SQLite schema. `schema.pg.ts` mirrors it table for table and column for column with the same
 * TypeScript shapes, so the query code written against these tables runs on both (see README.md).
 * Ids are text, times are epoch milliseconds, JSON is text.
 */

export * from "./schema/sqlite/access.js";
export * from "./schema/sqlite/fleet.js";
export * from "./schema/sqlite/runs.js";
export * from "./schema/sqlite/notifications.js";
export * from "./schema/sqlite/catalogue.js";
