import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { makeTempDir } from "../../testing/helpers.js";
import { fingerprintDatabase, quoteIdentifier } from "./fingerprint.js";

const tmp = makeTempDir("sqlite-fp");
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function dbWith(name: string, sql: string, fill?: (db: Database.Database) => void): Database.Database {
  const db = new Database(path.join(tmp, `${name}.sqlite`));
  db.exec(sql);
  fill?.(db);
  return db;
}

describe("fingerprintDatabase", () => {
  it("tells NULL, '', x'' and 0 apart, and text from a blob of the same bytes", () => {
    const values: unknown[] = [null, "", Buffer.alloc(0), 0, 0.0, "0", Buffer.from("0")];
    const prints = values.map((v, i) => {
      const db = dbWith(`kinds${i}`, "CREATE TABLE t (v)", (d) => d.prepare("INSERT INTO t VALUES (?)").run(v as never));
      const fp = fingerprintDatabase(db);
      db.close();
      return fp.items.t!.checksum;
    });
    // 0 and 0.0 are both stored as INTEGER 0 by SQLite: the same value. Every other pair differs.
    expect(new Set(prints).size).toBe(values.length - 1);
    expect(prints[3]).toBe(prints[4]);
  });

  it("is equal for the same rows inserted in another order, and changes with one byte of a blob", () => {
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const rows: Array<[number, unknown]> = [
      [1, every],
      [2, "😀 𝄞 \u{10FFFF} e\u0301"],
      [3, "x".repeat(5 * 1024 * 1024)],
      [4, 2 ** 62],
      [5, -1.5e-300],
    ];
    const make = (name: string, order: Array<[number, unknown]>, patch?: Buffer) =>
      dbWith(name, "CREATE TABLE t (id INTEGER PRIMARY KEY, v)", (d) => {
        const ins = d.prepare("INSERT INTO t VALUES (?, ?)");
        for (const [id, v] of order) ins.run(id, (id === 1 && patch ? patch : v) as never);
      });
    const a = make("order-a", rows);
    const b = make("order-b", [...rows].reverse());
    const changed = Buffer.from(every);
    changed[200] = 0;
    const c = make("order-c", rows, changed);
    const [fa, fb, fc] = [a, b, c].map((d) => fingerprintDatabase(d));
    expect(fa!.items.t).toEqual({ rows: 5, checksum: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(fb).toEqual(fa);
    expect(fc!.items.t!.checksum).not.toBe(fa!.items.t!.checksum);
    for (const d of [a, b, c]) d.close();
  });

  it("covers WITHOUT ROWID tables, a column named rowid, odd table names, and skips sqlite_% tables", () => {
    const db = dbWith(
      "shapes",
      `CREATE TABLE kv (k TEXT PRIMARY KEY, v) WITHOUT ROWID;
       CREATE TABLE shadowed (rowid TEXT, _rowid_ TEXT, oid TEXT);
       CREATE TABLE ${quoteIdentifier('we"ird; DROP TABLE kv; --')} (x);
       CREATE TABLE auto (id INTEGER PRIMARY KEY AUTOINCREMENT, x);
       INSERT INTO kv VALUES ('b', 2), ('a', 1);
       INSERT INTO shadowed VALUES ('1', '2', '3'), ('0', '0', '0');
       INSERT INTO ${quoteIdentifier('we"ird; DROP TABLE kv; --')} VALUES (1);
       INSERT INTO auto (x) VALUES ('y');`,
    );
    const fp = fingerprintDatabase(db);
    expect(Object.keys(fp.items).sort()).toEqual(["auto", "kv", "shadowed", 'we"ird; DROP TABLE kv; --']);
    expect(fp.items.kv!.rows).toBe(2);
    expect(fp.items.shadowed!.rows).toBe(2);
    expect(db.prepare("SELECT count(*) FROM kv").pluck().get()).toBe(2);
    db.close();
  });
});
