import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { Readable } from "node:stream";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import { createGunzip } from "node:zlib";
import { HoldfastError } from "@holdfast/shared";
import { Decrypter } from "age-encryption";
import { type Table } from "drizzle-orm";
import type { z } from "zod";
import * as schema from "../db/schema.sqlite.js";
import { AGE_MAGIC, ExportHeader, ExportTrailer, MAX_LINE_BYTES, RowLine } from "./format.js";
import { rowSchemaOf } from "./row-schema.js";
import { exportedTables } from "./table-pages.js";
import { toWebPulled } from "./write-export.js";

/** Rows handed to `onRows` at once: one INSERT each on restore. */
export const BATCH_ROWS = 100;

export interface ReadExportOptions {
  /** The age identity (`AGE-SECRET-KEY-1…`) when the export is encrypted. */
  identity?: string | undefined;
  /** Called with the header, once it parsed, before any row. */
  onHeader?: (header: ExportHeader) => Promise<void> | void;
  /** Called with validated rows of one table, in file order, at most BATCH_ROWS at a time. */
  onRows?: (table: string, rows: Array<Record<string, unknown>>) => Promise<void>;
}

const damaged = (why: string) =>
  new HoldfastError("CHECKSUM_MISMATCH", `The export is damaged or incomplete (${why}): nothing was restored; use another copy`, undefined, false);

/**
 * Reads an export end to end: decrypts it (age) when it is encrypted, decompresses, parses and
 * checks every line against the schema, hashes everything before the trailer, and resolves with the
 * header only when the trailer's hash, row count and every table's count match. Anything else
 * rejects: callers that wrote rows meanwhile roll them back.
 */
export async function readSelfExport(file: string, opts: ReadExportOptions = {}): Promise<ExportHeader> {
  const plain = await openPlain(file, opts.identity);
  const gunzip = plain.pipe(createGunzip());
  plain.once("error", (err) => gunzip.destroy(err));
  const hash = createHash("sha256");
  const validators = validatorsByName();
  let header: ExportHeader | undefined;
  let trailer: z.infer<typeof ExportTrailer> | undefined;
  let position = -1;
  const counts = new Map<string, number>();
  let batch: { table: string; rows: Array<Record<string, unknown>> } | null = null;
  // A failure of the caller's own work (an INSERT) is its own, not a sign of a damaged file.
  const callerFailed: { err?: unknown } = {};
  const call = async (fn: () => Promise<void> | void) => {
    try {
      await fn();
    } catch (err) {
      callerFailed.err = err;
      throw err;
    }
  };
  const flush = async () => {
    const ready = batch;
    batch = null;
    if (ready && ready.rows.length > 0 && opts.onRows) await call(() => opts.onRows!(ready.table, ready.rows));
  };

  const onLine = async (line: Buffer) => {
    if (trailer) throw damaged("data after the trailer");
    const value = header ? parseJson(line) : parseHeaderJson(line);
    if (!header) {
      const parsed = ExportHeader.safeParse(value);
      if (!parsed.success) throw notAnExport(value);
      header = parsed.data;
      for (const t of header.tables) if (!validators.has(t.name)) throw damaged(`unknown table ${t.name}`);
      hash.update(line).update("\n");
      const h = header;
      if (opts.onHeader) await call(() => opts.onHeader!(h));
      return;
    }
    const end = ExportTrailer.safeParse(value);
    if (end.success) {
      trailer = end.data;
      return;
    }
    const row = RowLine.safeParse(value);
    if (!row.success) throw damaged("a line is neither a row nor the trailer");
    const { t: table, r } = row.data;
    // Tables come in the header's order, each whole: a row of an earlier or unlisted table is refused.
    if (header.tables[position]?.name !== table) {
      const next = header.tables.findIndex((t, i) => i > position && t.name === table);
      if (next < 0) throw damaged(`a row of ${table} out of order`);
      position = next;
    }
    const checked = validators.get(table)!.safeParse(r);
    if (!checked.success) throw damaged(`a row of ${table} does not fit its columns: ${checked.error.issues[0]?.path.join(".")} ${checked.error.issues[0]?.message}`);
    hash.update(line).update("\n");
    counts.set(table, (counts.get(table) ?? 0) + 1);
    if (batch && batch.table !== table) await flush();
    batch ??= { table, rows: [] };
    batch.rows.push(checked.data);
    if (batch.rows.length >= BATCH_ROWS) await flush();
  };

  try {
    for await (const line of splitLines(gunzip)) await onLine(line);
    await flush();
  } catch (err) {
    if (err instanceof HoldfastError || callerFailed.err === err) throw err;
    throw damaged((err as Error).message);
  } finally {
    gunzip.destroy();
  }
  if (!header) throw damaged("empty");
  if (!trailer) throw damaged("no trailer: the file was cut short");
  const digest = hash.digest("hex");
  if (digest !== trailer.end.sha256) throw damaged("its SHA-256 does not match its trailer");
  let total = 0;
  for (const t of header.tables) {
    if ((counts.get(t.name) ?? 0) !== t.rows) throw damaged(`${t.name} holds ${counts.get(t.name) ?? 0} rows, the header says ${t.rows}`);
    total += t.rows;
  }
  if (total !== trailer.end.rows) throw damaged(`${total} rows, the trailer says ${trailer.end.rows}`);
  return header;
}

/** The file's gzip stream: decrypted first when it starts with age's magic line. */
async function openPlain(file: string, identity: string | undefined): Promise<Readable> {
  const handle = await open(file, "r").catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") throw new HoldfastError("VALIDATION_FAILED", `No file ${file}`);
    throw err;
  });
  const head = Buffer.alloc(AGE_MAGIC.length);
  const { bytesRead } = await handle.read(head, 0, head.length, 0);
  await handle.close();
  const encrypted = head.subarray(0, bytesRead).toString("latin1") === AGE_MAGIC;
  if (!encrypted && !(head[0] === 0x1f && head[1] === 0x8b)) throw notAnExport(null);
  const source = createReadStream(file);
  if (!encrypted) return source;
  if (!identity) {
    source.destroy();
    throw new HoldfastError("DECRYPTION_FAILED", "The export is encrypted with age: pass --identity-file with the key of one of its recipients; nothing was restored");
  }
  const decrypter = new Decrypter();
  decrypter.addIdentity(identity);
  let plain: ReadableStream<Uint8Array>;
  try {
    // The header (recipient stanzas and its MAC) is checked here: a wrong key fails before any row.
    plain = await decrypter.decrypt(toWebPulled(source));
  } catch (err) {
    source.destroy();
    throw new HoldfastError(
      "DECRYPTION_FAILED",
      `The export could not be decrypted with the given identity (${((err as Error)?.message ?? "unknown").slice(0, 200)}); nothing was restored`,
    );
  }
  return Readable.fromWeb(plain as unknown as NodeWebStream<Uint8Array>);
}

/** Newline-separated lines, none longer than MAX_LINE_BYTES: a damaged or hostile file cannot exhaust memory. */
async function* splitLines(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  for await (const chunk of source) {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl >= 0; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      yield pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
      pending = [];
      pendingBytes = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      pendingBytes += chunk.length - start;
      if (pendingBytes > MAX_LINE_BYTES) throw damaged(`a line longer than ${MAX_LINE_BYTES} bytes`);
      pending.push(chunk.subarray(start));
    }
  }
  if (pendingBytes > 0) throw damaged("the last line has no end: the file was cut short");
}

function parseJson(line: Buffer): unknown {
  try {
    return JSON.parse(line.toString("utf8"));
  } catch {
    throw damaged("a line is not JSON");
  }
}

function parseHeaderJson(line: Buffer): unknown {
  try {
    return JSON.parse(line.toString("utf8"));
  } catch {
    throw notAnExport(null);
  }
}

function notAnExport(value: unknown): HoldfastError {
  const v = value as { format?: unknown; formatVersion?: unknown; migration?: unknown } | null;
  if (v?.format === "holdfast-self-backup" && v.formatVersion !== 1) {
    return new HoldfastError("PRECONDITION_FAILED", `The export is in format version ${String(v.formatVersion)}, which this Holdfast does not read: use the version that made it`);
  }
  return new HoldfastError("VALIDATION_FAILED", "The file is not a Holdfast control plane export (holdfast backup-self)");
}

/** Row checks by SQL table name, from the schema (both dialects declare the same shapes). */
function validatorsByName(): Map<string, z.ZodType<Record<string, unknown>>> {
  return new Map(exportedTables(schema).map((ref) => [ref.name, rowSchemaOf(ref.table as Table)]));
}
