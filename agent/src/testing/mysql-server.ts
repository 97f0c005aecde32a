import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import type { MysqlConnection } from "@holdfast/shared/protocol";

/**
 * Test-only (imported by the *.test.ts beside it; it belongs in src/testing/, which the build
 * excludes). MariaDB on 127.0.0.1:3306, user root without a password, as .ci/run sets it up;
 * HOLDFAST_TEST_MYSQL_HOST / _PORT point elsewhere.
 */
export const MY = {
  host: process.env.HOLDFAST_TEST_MYSQL_HOST ?? "127.0.0.1",
  port: Number(process.env.HOLDFAST_TEST_MYSQL_PORT ?? 3306),
  username: "root",
} as const;

export const myConn = (database: string, extra: Partial<MysqlConnection> = {}): MysqlConnection => ({ ...MY, database, ...extra });

export function quoteIdent(name: string): string {
  return `\`${name.replace(/`/g, "``")}\``;
}

/**
 * Runs SQL as root (the test's own trusted statements, DELIMITER blocks allowed); returns the batch
 * output. Binary mode: otherwise the client turns `\r\n` inside a literal into `\n`.
 */
export function mysqlRoot(sql: string, database?: string): string {
  const args = ["-u", MY.username, `--host=${MY.host}`, `--port=${MY.port}`, "--protocol=TCP", "--binary-mode", "--batch", "--skip-column-names", "--default-character-set=utf8mb4"];
  if (database !== undefined) args.push("--", database);
  return execFileSync("mariadb", args, { input: sql, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 }).replace(/\n$/, "");
}

export function createDb(name: string): string {
  mysqlRoot(`CREATE DATABASE ${quoteIdent(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;`);
  return name;
}

export function dropDb(name: string): void {
  mysqlRoot(`DROP DATABASE IF EXISTS ${quoteIdent(name)};`);
}

export function dbExists(name: string): boolean {
  return mysqlRoot(`SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${name.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}';`) === "1";
}

const SAKILA = path.resolve(import.meta.dirname, "../../../tests/corpus/sakila/mysql-sakila-schema.sql");

/** sakila's schema under another name (its README's sed, in JS), then generated rows for every table. */
export function loadSakila(db: string): void {
  const schema = fs
    .readFileSync(SAKILA, "utf8")
    .replace(/^DROP SCHEMA IF EXISTS sakila;/m, "")
    .replace(/^CREATE SCHEMA sakila;/m, "")
    .replace(/^USE sakila;/m, "")
    .replace(/sakila\./g, "");
  mysqlRoot(schema, db);
  mysqlRoot(SAKILA_ROWS, db);
}

/** Rows for sakila from MariaDB's seq_ tables; film rows fill film_text through the triggers. */
const SAKILA_ROWS = `
SET FOREIGN_KEY_CHECKS = 0;
SET time_zone = '+00:00';
INSERT INTO language (language_id, name, last_update) VALUES (1, 'English', '2020-01-01 00:00:00'), (2, 'Italiano', '2020-01-01 00:00:00'), (3, '日本語', '2020-01-01 00:00:00');
INSERT INTO country (country_id, country, last_update) SELECT seq, CONCAT('Country ', seq), '2020-01-02 00:00:00' FROM seq_1_to_20;
INSERT INTO city (city_id, city, country_id, last_update) SELECT seq, CONCAT('City ', seq), 1 + seq % 20, '2020-01-03 00:00:00' FROM seq_1_to_60;
INSERT INTO address (address_id, address, address2, district, city_id, postal_code, phone, last_update)
  SELECT seq, CONCAT(seq, ' Main Street'), IF(seq % 3 = 0, NULL, 'Apt. 1'), 'District', 1 + seq % 60, IF(seq % 5 = 0, NULL, LPAD(seq, 5, '0')), '555-0100', '2020-01-04 00:00:00' FROM seq_1_to_120;
INSERT INTO staff (staff_id, first_name, last_name, address_id, picture, email, store_id, active, username, password, last_update) VALUES
  (1, 'Mike', 'Hillyer', 1, UNHEX('89504E470D0A1A0A0000'), 'mike@example.com', 1, 1, 'Mike', SHA1('x'), '2020-01-05 00:00:00'),
  (2, 'Jon', 'Stephens', 2, NULL, NULL, 2, 1, 'Jon', NULL, '2020-01-05 00:00:00');
INSERT INTO store (store_id, manager_staff_id, address_id, last_update) VALUES (1, 1, 3, '2020-01-06 00:00:00'), (2, 2, 4, '2020-01-06 00:00:00');
INSERT INTO customer (customer_id, store_id, first_name, last_name, email, address_id, active, create_date, last_update)
  SELECT seq, 1 + seq % 2, CONCAT('First', seq), CONCAT('Last', seq), IF(seq % 7 = 0, NULL, CONCAT('c', seq, '@example.com')), 5 + seq % 100, seq % 11 <> 0, '2019-06-01 10:00:00' + INTERVAL seq HOUR, '2020-01-07 00:00:00' FROM seq_1_to_300;
INSERT INTO actor (actor_id, first_name, last_name, last_update) SELECT seq, CONCAT('Actor', seq), ELT(1 + seq % 4, 'GUINESS', 'WAHLBERG', 'CHASE', 'DAVIS'), '2020-01-08 00:00:00' FROM seq_1_to_80;
INSERT INTO category (category_id, name, last_update) SELECT seq, CONCAT('Category ', seq), '2020-01-09 00:00:00' FROM seq_1_to_16;
INSERT INTO film (film_id, title, description, release_year, language_id, original_language_id, rental_duration, rental_rate, length, replacement_cost, rating, special_features, last_update)
  SELECT seq, CONCAT('FILM ', seq), IF(seq % 9 = 0, NULL, CONCAT('A story of ', seq, ' things')), 2000 + seq % 10, 1 + seq % 3, IF(seq % 4 = 0, 2, NULL), 3 + seq % 5, 0.99 + seq % 5,
    IF(seq % 13 = 0, NULL, 60 + seq % 120), 9.99 + seq % 20, ELT(1 + seq % 5, 'G', 'PG', 'PG-13', 'R', 'NC-17'),
    ELT(1 + seq % 5, NULL, 'Trailers', 'Commentaries,Deleted Scenes', 'Behind the Scenes', 'Trailers,Commentaries,Deleted Scenes,Behind the Scenes'), '2020-01-10 00:00:00' FROM seq_1_to_200;
INSERT INTO film_actor (actor_id, film_id, last_update) SELECT 1 + seq % 80, seq, '2020-01-11 00:00:00' FROM seq_1_to_200;
INSERT INTO film_actor (actor_id, film_id, last_update) SELECT 1 + (seq * 7) % 80, seq, '2020-01-11 00:00:00' FROM seq_1_to_200 WHERE (seq * 7) % 80 <> seq % 80;
INSERT INTO film_category (film_id, category_id, last_update) SELECT seq, 1 + seq % 16, '2020-01-12 00:00:00' FROM seq_1_to_200;
INSERT INTO inventory (inventory_id, film_id, store_id, last_update) SELECT seq, 1 + seq % 200, 1 + seq % 2, '2020-01-13 00:00:00' FROM seq_1_to_600;
INSERT INTO rental (rental_id, rental_date, inventory_id, customer_id, return_date, staff_id, last_update)
  SELECT seq, '2020-02-01 00:00:00' + INTERVAL seq MINUTE, 1 + seq % 600, 1 + seq % 300, IF(seq % 6 = 0, NULL, '2020-02-05 00:00:00' + INTERVAL seq MINUTE), 1 + seq % 2, '2020-03-01 00:00:00' FROM seq_1_to_2000;
INSERT INTO payment (payment_id, customer_id, staff_id, rental_id, amount, payment_date, last_update)
  SELECT seq, 1 + seq % 300, 1 + seq % 2, IF(seq % 17 = 0, NULL, seq), 0.99 + (seq % 10), '2020-02-01 00:00:00' + INTERVAL seq MINUTE, '2020-03-02 00:00:00' FROM seq_1_to_2000;
SET FOREIGN_KEY_CHECKS = 1;
`;

/** Every byte value 0..255, as SQL hex. */
export const ALL_BYTES_HEX = Buffer.from(Array.from({ length: 256 }, (_, i) => i)).toString("hex");

/** The name of the awkward table: a space and a backtick in it. */
export const ODD_TABLE = "odd `name` here";

/**
 * Awkward data beside sakila: NULLs in every column type, a 4-byte emoji, every byte value in a
 * BLOB, ENUM/SET values with spaces and quotes, a table whose name holds a space and backticks, a
 * text value holding a line that looks like a client command, and a trigger, a view and a
 * (disabled) event over it.
 */
export function addAwkwardData(db: string, marker: string): void {
  const t = quoteIdent(ODD_TABLE);
  mysqlRoot(
    `SET time_zone = '+00:00';
CREATE TABLE ${t} (
  id INT PRIMARY KEY,
  txt VARCHAR(200) CHARACTER SET utf8mb4,
  emoji TEXT CHARACTER SET utf8mb4,
  bin LONGBLOB,
  e ENUM('a', 'b c', 'd''e'),
  s SET('x', 'y y', 'z'),
  f FLOAT, d DOUBLE, n DECIMAL(30, 10),
  ts TIMESTAMP NULL, dt DATETIME(6), b BIT(7), y YEAR, j JSON
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
CREATE TABLE \`odd_log\` (id INT AUTO_INCREMENT PRIMARY KEY, what VARCHAR(50)) ENGINE=InnoDB;
CREATE TRIGGER \`odd trigger\` AFTER INSERT ON ${t} FOR EACH ROW INSERT INTO odd_log (what) VALUES (CONCAT('inserted ', NEW.id));
CREATE VIEW \`odd view\` AS SELECT id, e, s FROM ${t} WHERE id > 1;
CREATE EVENT \`odd event\` ON SCHEDULE EVERY 1 DAY STARTS '2030-01-01 00:00:00' DISABLE DO DELETE FROM odd_log;
INSERT INTO ${t} VALUES (1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
INSERT INTO ${t} VALUES (2, 'tab\\there, newline\\nthen\\n\\\\! touch ${marker}\\nand ''quotes'' and "double" and \\\\ backslash; -- not a comment /* nor this */',
  '😀🎉 日本語 ✓ 𝄞', UNHEX('${ALL_BYTES_HEX}'), 'b c', 'x,y y,z', 0.1, 1.0000000000000002, 12345678901234567890.0123456789,
  '2021-03-04 05:06:07', '2021-03-04 05:06:07.123456', b'1010101', 2155, '{"k": [1, "two", null]}');
INSERT INTO ${t} VALUES (3, '', '', UNHEX(''), 'd''e', '', -0, -1e308, -0.0000000001, '1970-01-01 00:00:01', '1000-01-01 00:00:00', b'0', 1901, '[]');
`,
    db,
  );
}

/** Batch output rows, each field unescaped (names here hold no tab or newline, but `\\` may appear). */
function rows(sql: string, db: string): string[][] {
  const out = mysqlRoot(sql, db);
  return out === "" ? [] : out.split("\n").map((l) => l.split("\t").map((f) => f.replace(/\\\\/g, "\\")));
}

/** The schema as SHOW CREATE prints it for every table, view, trigger, routine and event, AUTO_INCREMENT counters and the database name taken out. */
export function schemaOf(db: string): string {
  const statements: string[] = [];
  for (const [kind, name] of rows("SELECT TABLE_TYPE, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME", db)) {
    statements.push(`SHOW CREATE ${kind === "VIEW" ? "VIEW" : "TABLE"} ${quoteIdent(name!)};`);
  }
  for (const [name] of rows("SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY TRIGGER_NAME", db)) {
    statements.push(`SHOW CREATE TRIGGER ${quoteIdent(name!)};`);
  }
  for (const [kind, name] of rows("SELECT ROUTINE_TYPE, ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = DATABASE() ORDER BY ROUTINE_TYPE, ROUTINE_NAME", db)) {
    statements.push(`SHOW CREATE ${kind} ${quoteIdent(name!)};`);
  }
  for (const [name] of rows("SELECT EVENT_NAME FROM information_schema.EVENTS WHERE EVENT_SCHEMA = DATABASE() ORDER BY EVENT_NAME", db)) {
    statements.push(`SHOW CREATE EVENT ${quoteIdent(name!)};`);
  }
  return mysqlRoot(statements.join("\n"), db)
    .split("\n")
    // SHOW CREATE TRIGGER ends with the trigger's creation time.
    .map((line) => line.replace(/\t\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d\d$/, ""))
    .join("\n")
    .replace(/ AUTO_INCREMENT=\d+/g, "")
    .split(quoteIdent(db))
    .join("`<db>`");
}

/**
 * Per base table, independently of the engine's fingerprint: the row count, CHECKSUM TABLE, and the
 * MD5 of every row (QUOTE() of each column) sorted and concatenated.
 */
export function rowsOf(db: string): Record<string, string> {
  const columns = new Map<string, string[]>();
  const listed = rows(
    "SELECT c.TABLE_NAME, c.COLUMN_NAME FROM information_schema.COLUMNS c JOIN information_schema.TABLES t USING (TABLE_SCHEMA, TABLE_NAME) WHERE c.TABLE_SCHEMA = DATABASE() AND t.TABLE_TYPE = 'BASE TABLE' ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION",
    db,
  );
  for (const [table, column] of listed) columns.set(table!, [...(columns.get(table!) ?? []), column!]);
  const tables = [...columns.keys()].sort();
  const statements = ["SET SESSION group_concat_max_len = 1073741824;", "SET time_zone = '+00:00';"];
  for (const t of tables) {
    const row = `MD5(CONCAT_WS('|', ${columns.get(t)!.map((c) => `QUOTE(${quoteIdent(c)})`).join(", ")}))`;
    statements.push(`CHECKSUM TABLE ${quoteIdent(t)};`, `SELECT COUNT(*), MD5(COALESCE(GROUP_CONCAT(${row} ORDER BY ${row} SEPARATOR ''), '')) FROM ${quoteIdent(t)};`);
  }
  const results = rows(statements.join("\n"), db);
  const out: Record<string, string> = {};
  tables.forEach((t, i) => {
    const checksum = results[2 * i]![1];
    const [count, hash] = results[2 * i + 1]!;
    out[t] = `rows=${count} md5=${hash} checksum=${checksum}`;
  });
  return out;
}

/** A stand-in tool (shell script) in `dir`; `--version` answers `versionLine`, anything else runs `body`. */
export function writeStandIn(dir: string, name: string, versionLine: string, body: string[]): string {
  const bin = path.join(dir, name);
  fs.writeFileSync(bin, ["#!/bin/sh", `if [ "$1" = "--version" ]; then echo ${JSON.stringify(versionLine)}; exit 0; fi`, ...body, ""].join("\n"), { mode: 0o755 });
  return bin;
}
