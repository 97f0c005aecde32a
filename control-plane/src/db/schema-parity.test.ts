import { type Column, getTableColumns, getTableName, is, SQL } from "drizzle-orm";
import { getTableConfig as pgConfig, PgDialect, PgTable } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig, SQLiteSyncDialect, SQLiteTable } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as pgSchema from "./schema.pg.js";
import * as sqliteSchema from "./schema.sqlite.js";

/*
 * The two schema files are kept by hand, and `db/index.ts` types the PostgreSQL tables as the SQLite
 * ones. This test is what makes that safe: every table is reduced to a dialect-free description
 * (columns with their JS key, kind, nullability, default, key and uniqueness; indexes; foreign keys;
 * composite keys; checks), and the two descriptions must be equal. Anything one dialect can say and
 * the other cannot (a PostgreSQL index method, SQLite's autoincrement...) is added to the description
 * of that side only, so it shows up as a difference instead of being ignored.
 */

/** One logical kind per column type the schemas use. A type not listed here differs from everything. */
const KIND: Record<string, string> = {
  SQLiteText: "text",
  PgText: "text",
  // SQLite has one integer type (64-bit); which width PostgreSQL uses is checked below.
  SQLiteInteger: "integer",
  PgBigInt53: "integer",
  PgInteger: "integer",
  SQLiteBoolean: "boolean",
  PgBoolean: "boolean",
  SQLiteReal: "real",
  PgDoublePrecision: "real",
};

type Dialect = "pg" | "sqlite";
const sqlText = (dialect: Dialect, sql: SQL) => (dialect === "pg" ? new PgDialect() : new SQLiteSyncDialect()).sqlToQuery(sql).sql;
const valueOrSql = (dialect: Dialect, v: unknown) => (is(v, SQL) ? { sql: sqlText(dialect, v) } : v);
/** Index and key columns as names, or as SQL text for expressions (drizzle types them loosely). */
type IndexedPart = { name?: string; indexConfig?: { order?: string; nulls?: string; opClass?: string } };
const names = (columns: ReadonlyArray<object>, dialect: Dialect) =>
  columns.map((c) => (is(c, SQL) ? { sql: sqlText(dialect, c) } : (c as IndexedPart).name));

function describeColumn(dialect: Dialect, col: Column) {
  const c = col as Column & { autoIncrement?: boolean; generatedIdentity?: unknown };
  return {
    name: c.name,
    kind: KIND[c.columnType] ?? `unmapped ${c.columnType}`,
    dataType: c.dataType,
    notNull: c.notNull,
    default: c.hasDefault ? valueOrSql(dialect, c.default) : null,
    defaultFn: c.defaultFn !== undefined,
    onUpdateFn: c.onUpdateFn !== undefined,
    primaryKey: c.primary,
    unique: c.isUnique ? c.uniqueName : null,
    enumValues: c.enumValues ?? null,
    generated: c.generated ? { type: c.generated.type, as: valueOrSql(dialect, c.generated.as) } : null,
    ...(c.uniqueType !== undefined ? { uniqueType: c.uniqueType } : {}),
    // SQLite's AUTOINCREMENT and a PostgreSQL identity say the same: the database numbers the rows
    // and never hands a number out twice.
    ...(c.autoIncrement || c.generatedIdentity ? { autoIncrement: true } : {}),
  };
}

type AnyTable = PgTable | SQLiteTable;

function describeTable(dialect: Dialect, table: AnyTable) {
  // Keyed by the JS property the query code uses, so a difference names the column.
  const columns = Object.fromEntries(Object.entries(getTableColumns(table)).map(([key, col]) => [key, describeColumn(dialect, col)]));
  const common = (cfg: ReturnType<typeof sqliteConfig> | ReturnType<typeof pgConfig>) => ({
    name: cfg.name,
    columns,
    primaryKeys: cfg.primaryKeys.map((pk) => ({ name: pk.getName(), columns: names(pk.columns, dialect) })),
    foreignKeys: cfg.foreignKeys
      .map((fk) => {
        const ref = fk.reference();
        return {
          name: fk.getName(),
          columns: names(ref.columns, dialect),
          foreignTable: getTableName(ref.foreignTable),
          foreignColumns: names(ref.foreignColumns, dialect),
          onDelete: fk.onDelete ?? "no action",
          onUpdate: fk.onUpdate ?? "no action",
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name)),
    checks: cfg.checks.map((c) => ({ name: c.name, sql: sqlText(dialect, c.value) })),
  });

  if (dialect === "sqlite") {
    const cfg = sqliteConfig(table as SQLiteTable);
    return {
      ...common(cfg),
      indexes: cfg.indexes
        .map(({ config: i }) => ({ name: i.name, columns: names(i.columns, dialect), unique: i.unique, where: i.where ? sqlText(dialect, i.where) : null }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      uniqueConstraints: cfg.uniqueConstraints.map((u) => ({ name: u.getName(), columns: names(u.columns, dialect) })),
    };
  }
  const cfg = pgConfig(table as PgTable);
  return {
    ...common(cfg),
    indexes: cfg.indexes
      .map(({ config: i }) => ({
        name: i.name ?? "(unnamed)",
        columns: names(i.columns, dialect),
        unique: i.unique,
        where: i.where ? sqlText(dialect, i.where) : null,
        ...(i.method !== undefined && i.method !== "btree" ? { method: i.method } : {}),
        ...(i.concurrently ? { concurrently: true } : {}),
        ...(i.only ? { only: true } : {}),
        ...(i.with && Object.keys(i.with).length > 0 ? { with: i.with } : {}),
        // Sort order, nulls placement and operator classes exist on PostgreSQL only (ascending,
        // nulls last is what drizzle records when none is given).
        ...(i.columns.some((c) => !is(c, SQL) && ((c as IndexedPart).indexConfig?.order === "desc" || (c as IndexedPart).indexConfig?.nulls === "first" || (c as IndexedPart).indexConfig?.opClass))
          ? { columnOptions: i.columns.map((c) => (is(c, SQL) ? null : (c as IndexedPart).indexConfig)) }
          : {}),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    uniqueConstraints: cfg.uniqueConstraints.map((u) => ({ name: u.getName(), columns: names(u.columns, dialect), ...(u.nullsNotDistinct ? { nullsNotDistinct: true } : {}) })),
    ...(cfg.schema !== undefined ? { schema: cfg.schema } : {}),
    ...(cfg.enableRLS || cfg.policies.length > 0 ? { rowLevelSecurity: true } : {}),
  };
}

const exportsOf = (schema: Record<string, unknown>) => Object.keys(schema).sort();
const tablesOf = <T>(schema: Record<string, unknown>, isTable: (v: unknown) => v is T) =>
  Object.entries(schema).filter((entry): entry is [string, T] => isTable(entry[1]));

describe("the SQLite and PostgreSQL schemas", () => {
  it("export the same names, and every export is a table of its dialect", () => {
    expect(exportsOf(pgSchema)).toEqual(exportsOf(sqliteSchema));
    expect(tablesOf(pgSchema, (v): v is PgTable => is(v, PgTable)).map(([k]) => k)).toEqual(Object.keys(pgSchema));
    expect(tablesOf(sqliteSchema, (v): v is SQLiteTable => is(v, SQLiteTable)).map(([k]) => k)).toEqual(Object.keys(sqliteSchema));
  });

  describe.each(exportsOf(sqliteSchema))("table %s", (key) => {
    it("has the same columns (key, name, kind, nullability, default, keys), indexes, foreign keys and checks", () => {
      const pg = describeTable("pg", pgSchema[key as keyof typeof pgSchema]);
      const sqlite = describeTable("sqlite", sqliteSchema[key as keyof typeof sqliteSchema]);
      expect(pg, "schema.pg.ts (received) against schema.sqlite.ts (expected)").toEqual(sqlite);
    });
  });

  it("use PostgreSQL's 32-bit integer only for small counters: times, sizes and sequences are bigint", () => {
    const narrow = tablesOf(pgSchema, (v): v is PgTable => is(v, PgTable)).flatMap(([, table]) =>
      Object.values(getTableColumns(table))
        .filter((c) => c.columnType === "PgInteger")
        .map((c) => `${getTableName(table)}.${c.name}`),
    );
    expect(narrow.sort()).toEqual(["agents.protocol_version", "datasources.health_interval_minutes", "datasources.max_duration_minutes", "deliveries.attempts", "notification_conditions.repeats", "notification_sends.attempts", "runs.attempt", "sign_in_failures.failures"]);
  });
});
