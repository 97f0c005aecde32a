import { z } from "zod";

/*
 * The export file (docs/disaster-recovery.md, "The control plane itself"): JSON lines, gzip-compressed,
 * optionally age-encrypted around that. The first line is the header, then one line per row in the
 * header's table order, then the trailer with the SHA-256 of every byte before it (header and rows,
 * newlines included). A file cut short lacks its trailer (and gzip's own end), a changed byte breaks
 * the hash: restore refuses both before committing anything. Rows are keyed by the schema files'
 * property names (`createdAt`), not a dialect's column types, so one format serves SQLite and
 * PostgreSQL alike.
 */

export const FORMAT = "holdfast-self-backup";
export const FORMAT_VERSION = 1;
/** The longest line read back: a row is small (the largest are audit and event rows of a few KiB). */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;
/** The first bytes of an age file (binary, not armored). */
export const AGE_MAGIC = "age-encryption.org/v1\n";

const TableName = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/);
const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

export const MasterKeyNote = z
  .object({
    /** `sha256:` of a hash of the key: tells whether a control plane holds the same key, and reveals nothing of it. */
    id: z.string().regex(/^sha256:[0-9a-f]{64}$/),
    /** The key itself (base64), only in an encrypted export made with --include-master-key. */
    key: z
      .string()
      .regex(/^[A-Za-z0-9+/]{43}=$/)
      .optional(),
  })
  .strict();
export type MasterKeyNote = z.infer<typeof MasterKeyNote>;

export const ExportHeader = z
  .object({
    format: z.literal(FORMAT),
    formatVersion: z.literal(FORMAT_VERSION),
    holdfastVersion: z.string().max(100),
    createdAt: z.iso.datetime(),
    /** The database it was read from; any dialect restores it. */
    dialect: z.enum(["sqlite", "postgres"]),
    /** The newest migration of the schema the rows match (`0017_agent_link`): restore wants the same. */
    migration: z.string().regex(/^\d{4}_[a-z0-9_]+$/),
    tables: z.array(z.object({ name: TableName, rows: z.number().int().min(0) }).strict()).max(200),
    /** What the export deliberately does not carry (tables.ts says why). */
    leftOut: z.array(TableName).max(200),
    /** Null when the database held no master key at export (nothing sealed yet, and no key file). */
    masterKey: MasterKeyNote.nullable(),
  })
  .strict();
export type ExportHeader = z.infer<typeof ExportHeader>;

/** A row line: the table's SQL name and the row keyed by the schema's property names. */
export const RowLine = z.object({ t: TableName, r: z.record(z.string(), z.unknown()) }).strict();

export const ExportTrailer = z.object({ end: z.object({ rows: z.number().int().min(0), sha256: Sha256Hex }).strict() }).strict();
export type ExportTrailer = z.infer<typeof ExportTrailer>;
