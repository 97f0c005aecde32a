/**
 * The prelude of a `mongodump --archive` stream (mongo-tools common/archive/spec.md): the magic
 * number, a header document (server and tool versions), one document per collection (database,
 * name, size, type), then the terminator 0xFFFFFFFF; the collections' data follows. mongodump
 * writes it before any data, once it listed (and so was allowed to read) what it will dump, which
 * makes it the agent's view of a MongoDB server without a MongoDB client: versions, collections,
 * sizes, and which database an archive came from.
 */

export const ARCHIVE_MAGIC = 0x8199e26d;
const TERMINATOR = -1;

export interface ArchiveNamespace {
  db: string;
  collection: string;
  /** Uncompressed bytes of the collection, as mongodump counted them. */
  size: number;
  /** `collection`, `view`, `timeseries` when the tool says. */
  type?: string;
}

export interface ArchivePrelude {
  serverVersion: string;
  toolVersion: string;
  namespaces: ArchiveNamespace[];
  /** Bytes the prelude takes at the start of the stream. */
  length: number;
}

type BsonValue = string | number | boolean | null | undefined;

/** The top-level scalar fields of one BSON document (nested documents and binaries are skipped). */
export function readBsonFields(doc: Buffer): Record<string, BsonValue> {
  const out: Record<string, BsonValue> = {};
  let i = 4;
  while (i < doc.length - 1) {
    const type = doc[i]!;
    const nameEnd = doc.indexOf(0, i + 1);
    if (nameEnd < 0) throw new Error("BSON: unterminated field name");
    const name = doc.toString("utf8", i + 1, nameEnd);
    i = nameEnd + 1;
    switch (type) {
      case 0x01:
        out[name] = doc.readDoubleLE(i);
        i += 8;
        break;
      case 0x02:
      case 0x0d:
      case 0x0e: {
        const len = doc.readInt32LE(i);
        out[name] = doc.toString("utf8", i + 4, i + 4 + len - 1);
        i += 4 + len;
        break;
      }
      case 0x03:
      case 0x04:
        i += doc.readInt32LE(i);
        break;
      case 0x05:
        i += 5 + doc.readInt32LE(i);
        break;
      case 0x07:
        i += 12;
        break;
      case 0x08:
        out[name] = doc[i] === 1;
        i += 1;
        break;
      case 0x09:
      case 0x11:
        i += 8;
        break;
      case 0x0a:
        out[name] = null;
        break;
      case 0x10:
        out[name] = doc.readInt32LE(i);
        i += 4;
        break;
      case 0x12:
        out[name] = Number(doc.readBigInt64LE(i));
        i += 8;
        break;
      case 0x13:
        i += 16;
        break;
      default:
        throw new Error(`BSON: unsupported type 0x${type.toString(16)} in field ${name}`);
    }
  }
  return out;
}

/**
 * The prelude at the start of `buf`, or null while `buf` holds only part of it. Throws when the
 * bytes are not a mongodump archive.
 */
export function parseArchivePrelude(buf: Buffer): ArchivePrelude | null {
  if (buf.length < 4) return null;
  if (buf.readUInt32LE(0) !== ARCHIVE_MAGIC) throw new Error("not a mongodump archive (bad magic number)");
  let i = 4;
  let header: Record<string, BsonValue> | null = null;
  const namespaces: ArchiveNamespace[] = [];
  for (;;) {
    if (buf.length < i + 4) return null;
    const len = buf.readInt32LE(i);
    if (len === TERMINATOR) {
      if (!header) throw new Error("mongodump archive without a header");
      return { serverVersion: String(header.server_version ?? ""), toolVersion: String(header.tool_version ?? ""), namespaces, length: i + 4 };
    }
    if (len < 5 || len > 16 * 1024 * 1024) throw new Error(`mongodump archive: implausible document length ${len}`);
    if (buf.length < i + len) return null;
    const fields = readBsonFields(buf.subarray(i, i + len));
    if (!header) header = fields;
    else namespaces.push({ db: String(fields.db ?? ""), collection: String(fields.collection ?? ""), size: Number(fields.size ?? 0), ...(typeof fields.type === "string" ? { type: fields.type } : {}) });
    i += len;
  }
}
