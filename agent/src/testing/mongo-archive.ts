import { ARCHIVE_MAGIC } from "../engines/mongodb/archive-prelude.js";

/**
 * Test-only (imported by the *.test.ts beside it). A minimal BSON writer and mongodump archive
 * builder, so the prelude reader and the engine are tested against archives shaped like the spec's
 * without a MongoDB server.
 */
type Field = [string, string | number | boolean | bigint];

export function bsonDoc(fields: Field[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of fields) {
    const key = Buffer.concat([Buffer.from(name, "utf8"), Buffer.from([0])]);
    if (typeof value === "string") {
      const s = Buffer.from(value, "utf8");
      const len = Buffer.alloc(4);
      len.writeInt32LE(s.length + 1);
      parts.push(Buffer.from([0x02]), key, len, s, Buffer.from([0]));
    } else if (typeof value === "boolean") {
      parts.push(Buffer.from([0x08]), key, Buffer.from([value ? 1 : 0]));
    } else if (typeof value === "bigint") {
      const v = Buffer.alloc(8);
      v.writeBigInt64LE(value);
      parts.push(Buffer.from([0x12]), key, v);
    } else {
      const v = Buffer.alloc(4);
      v.writeInt32LE(value);
      parts.push(Buffer.from([0x10]), key, v);
    }
  }
  const body = Buffer.concat(parts);
  const doc = Buffer.alloc(4 + body.length + 1);
  doc.writeInt32LE(doc.length);
  body.copy(doc, 4);
  return doc;
}

const TERMINATOR = Buffer.from([0xff, 0xff, 0xff, 0xff]);

/** A whole archive: prelude for `collections`, then one segment and one EOF block per collection. */
export function buildArchive(collections: { db: string; collection: string; size?: number }[], serverVersion = "7.0.5"): Buffer {
  const magic = Buffer.alloc(4);
  magic.writeUInt32LE(ARCHIVE_MAGIC);
  const parts = [magic, bsonDoc([["concurrent_collections", 4], ["version", "0.1"], ["server_version", serverVersion], ["tool_version", "100.9.4"]])];
  for (const c of collections) parts.push(bsonDoc([["db", c.db], ["collection", c.collection], ["metadata", '{"indexes":[]}'], ["size", c.size ?? 100], ["type", "collection"]]));
  parts.push(TERMINATOR);
  for (const c of collections) {
    parts.push(bsonDoc([["db", c.db], ["collection", c.collection], ["EOF", false], ["CRC", 0n]]), bsonDoc([["_id", 1], ["name", "x".repeat(50)]]), TERMINATOR);
    parts.push(bsonDoc([["db", c.db], ["collection", c.collection], ["EOF", true], ["CRC", 0n]]), TERMINATOR);
  }
  return Buffer.concat(parts);
}
