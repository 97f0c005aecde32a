import { createHash, type Hash } from "node:crypto";
import type Database from "better-sqlite3";
import type { Fingerprint } from "../types.js";

export const SQLITE_FINGERPRINT_METHOD =
  "sha256 of every row in rowid (WITHOUT ROWID: primary-key) order, each value typed (null, integer, real, text bytes, blob bytes)";

/** SQL identifiers from the database itself are data: always double-quoted, quotes doubled. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

interface TableInfo {
  name: string;
  withoutRowid: boolean;
}

interface ColumnInfo {
  name: string;
  pk: number;
  hidden: number;
}

/** Buffers small writes so the hash sees ~1 MiB updates, not one call per value. */
class HashWriter {
  private buf = Buffer.allocUnsafe(1 << 20);
  private pos = 0;
  constructor(private readonly hash: Hash) {}

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(n);
  }
  tag(c: string): void {
    this.room(1);
    this.buf[this.pos++] = c.charCodeAt(0);
  }
  u64(n: number): void {
    this.room(8);
    this.buf.writeBigUInt64BE(BigInt(n), this.pos);
    this.pos += 8;
  }
  i64(n: bigint): void {
    this.room(8);
    this.buf.writeBigInt64BE(n, this.pos);
    this.pos += 8;
  }
  f64(n: number): void {
    this.room(8);
    this.buf.writeDoubleBE(n, this.pos);
    this.pos += 8;
  }
  bytes(b: Buffer): void {
    this.u64(b.length);
    if (b.length > this.buf.length / 4) {
      this.flush();
      this.hash.update(b);
      return;
    }
    this.room(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
  flush(): void {
    if (this.pos > 0) this.hash.update(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }
}

/** Ordinary tables and the shadow tables of virtual ones (their data); never `sqlite_%` nor virtual tables themselves. */
function tablesOf(db: Database.Database): TableInfo[] {
  const rows = db.prepare("SELECT name, wr FROM pragma_table_list WHERE schema = 'main' AND type IN ('table', 'shadow') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name").all() as Array<{ name: string; wr: number }>;
  return rows.map((r) => ({ name: r.name, withoutRowid: r.wr === 1 }));
}

/**
 * The ORDER BY of a table: its rowid (by whichever alias no column shadows), or its primary key for
 * WITHOUT ROWID; every column when all three rowid aliases are taken.
 */
function orderBy(table: TableInfo, columns: ColumnInfo[]): string {
  if (table.withoutRowid) {
    return columns
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => quoteIdentifier(c.name))
      .join(", ");
  }
  const taken = new Set(columns.map((c) => c.name.toLowerCase()));
  const alias = ["rowid", "_rowid_", "oid"].find((a) => !taken.has(a));
  return alias ?? columns.map((_, i) => String(i * 2 + 2)).join(", ");
}

/**
 * Hashes one table. Each column is read twice: `typeof(c)`, then its value with TEXT cast to BLOB, so
 * text is hashed as its stored bytes (no lossy decoding) and NULL, '' and x'' stay three things.
 */
function hashTable(db: Database.Database, table: TableInfo): { rows: number; checksum: string } {
  const columns = (db.prepare("SELECT name, pk, hidden FROM pragma_table_xinfo(?)").all(table.name) as ColumnInfo[]).filter((c) => c.hidden !== 1);
  const select = columns
    .map((c) => {
      const col = quoteIdentifier(c.name);
      return `typeof(${col}), CASE typeof(${col}) WHEN 'text' THEN CAST(${col} AS BLOB) ELSE ${col} END`;
    })
    .join(", ");
  const stmt = db.prepare(`SELECT ${select} FROM ${quoteIdentifier(table.name)} ORDER BY ${orderBy(table, columns)}`).raw(true).safeIntegers(true);
  const hash = createHash("sha256");
  const out = new HashWriter(hash);
  let rows = 0;
  for (const row of stmt.iterate() as Iterable<unknown[]>) {
    rows++;
    out.tag("R");
    for (let i = 0; i < row.length; i += 2) {
      const type = row[i] as string;
      const value = row[i + 1];
      switch (type) {
        case "null":
          out.tag("N");
          break;
        case "integer":
          out.tag("I");
          out.i64(value as bigint);
          break;
        case "real":
          out.tag("F");
          out.f64(Number(value));
          break;
        case "text":
          out.tag("T");
          out.bytes(value as Buffer);
          break;
        default:
          out.tag("B");
          out.bytes(value as Buffer);
      }
    }
  }
  out.flush();
  return { rows, checksum: hash.digest("hex") };
}

/** Per table: its row count and the sha256 of its rows. Call inside one read transaction for a consistent answer. */
export function fingerprintDatabase(db: Database.Database): Fingerprint {
  const items: Fingerprint["items"] = {};
  for (const table of tablesOf(db)) items[table.name] = hashTable(db, table);
  return { method: SQLITE_FINGERPRINT_METHOD, items };
}
