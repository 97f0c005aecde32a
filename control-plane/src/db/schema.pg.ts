/**
 * The PostgreSQL schema: `schema.sqlite.ts` table for table and column for column, with the same
 * TypeScript shapes (times and sizes are `bigint` in number mode, so epoch milliseconds and byte
 * counts past 2^31 fit and still read as numbers). Change both files together, then `npm run db:generate`.
 */

export * from "./schema/pg/access.js";
export * from "./schema/pg/fleet.js";
export * from "./schema/pg/runs.js";
export * from "./schema/pg/notifications.js";
export * from "./schema/pg/catalogue.js";
