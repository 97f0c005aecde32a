import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import { createGzip } from "node:zlib";
import { HoldfastError } from "@holdfast/shared";
import { Encrypter } from "age-encryption";
import { getTableName, type Table } from "drizzle-orm";
import type { Database, Db } from "../db/index.js";
import { VERSION } from "../version.js";
import { type ExportHeader, FORMAT, FORMAT_VERSION, type MasterKeyNote } from "./format.js";
import { masterKeyId } from "./master-key-note.js";
import { databaseMigration } from "./schema-version.js";
import { countRows, exportedTables, type TableRef, tablePages } from "./table-pages.js";
import { LEFT_OUT_TABLES } from "./tables.js";
import { inReadSnapshot } from "./transactions.js";

export interface WriteExportOptions {
  /** Where the export goes; replaced atomically when it exists. */
  file: string;
  /** age X25519 recipients (`age1…`); none: not encrypted. */
  recipients: string[];
  /** The control plane's master key, when it has one. */
  masterKey: Buffer | null;
  /** Put the master key itself in the export: only allowed when encrypted. */
  includeMasterKey: boolean;
  now?: Date;
}

export interface ExportSummary {
  file: string;
  header: ExportHeader;
  /** SHA-256 of the export's plain content, as its trailer holds it. */
  sha256: string;
  encrypted: boolean;
}

/**
 * Writes the control plane's database to `file` (format.ts): one snapshot, read a page at a time and
 * streamed through gzip (and age) to a temp file beside the target, which is fsynced and renamed
 * into place only when whole, so a crash or error never leaves a half export under the name.
 */
export async function writeSelfExport(database: Database, opts: WriteExportOptions): Promise<ExportSummary> {
  if (opts.includeMasterKey && opts.recipients.length === 0) {
    throw new HoldfastError("VALIDATION_FAILED", "--include-master-key needs --recipient or --recipient-file: the key is never written unencrypted");
  }
  if (opts.includeMasterKey && opts.masterKey === null) {
    throw new HoldfastError("VALIDATION_FAILED", "--include-master-key: this control plane has no master key (no HOLDFAST_MASTER_KEY, no master.key), so nothing is sealed");
  }
  const encrypter = opts.recipients.length > 0 ? encrypterFor(opts.recipients) : null;
  const migration = await databaseMigration(database);
  const refs = exportedTables(database.t);
  const masterKey: MasterKeyNote | null = opts.masterKey
    ? { id: masterKeyId(opts.masterKey), ...(opts.includeMasterKey ? { key: opts.masterKey.toString("base64") } : {}) }
    : null;
  const leftOut = Object.keys(LEFT_OUT_TABLES).map((k) => getTableName(database.t[k as keyof typeof LEFT_OUT_TABLES] as unknown as Table));

  const temp = join(dirname(opts.file), `.${basename(opts.file)}.${randomBytes(6).toString("hex")}.tmp`);
  // Created 0600 and exclusively: nothing already there is followed or reused, and no reader sees it looser.
  await (
    await open(temp, "wx", 0o600).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT" || err.code === "ENOTDIR") throw new HoldfastError("VALIDATION_FAILED", `-o ${opts.file}: no folder ${dirname(opts.file)}`);
      throw err;
    })
  ).close();
  try {
    const written = await inReadSnapshot(database, async (db) => {
      const tables: ExportHeader["tables"] = [];
      for (const ref of refs) tables.push({ name: ref.name, rows: await countRows(db, ref) });
      const header: ExportHeader = {
        format: FORMAT,
        formatVersion: FORMAT_VERSION,
        holdfastVersion: VERSION,
        createdAt: (opts.now ?? new Date()).toISOString(),
        dialect: database.dialect,
        migration,
        tables,
        leftOut,
        masterKey,
      };
      const content = exportLines(db, refs, header);
      const source = Readable.from(content.lines());
      const compressed = source.pipe(createGzip());
      source.once("error", (err) => compressed.destroy(err));
      const output = encrypter ? Readable.fromWeb((await encrypter.encrypt(toWebPulled(compressed))) as unknown as NodeWebStream<Uint8Array>) : compressed;
      await pipeline(output, createWriteStream(temp, { flags: "r+", flush: true }));
      return { header, sha256: content.sha256() };
    });
    await rename(temp, opts.file);
    await syncDir(dirname(opts.file));
    return { file: opts.file, ...written, encrypted: encrypter !== null };
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** The export's plain lines: header, every row, trailer; `sha256()` answers once they were all read. */
function exportLines(db: Db, refs: TableRef[], header: ExportHeader) {
  const hash = createHash("sha256");
  let digest: string | undefined;
  async function* lines(): AsyncGenerator<Buffer> {
    const head = Buffer.from(`${JSON.stringify(header)}\n`);
    hash.update(head);
    yield head;
    let total = 0;
    for (const [i, ref] of refs.entries()) {
      let rows = 0;
      for await (const page of tablePages(db, ref)) {
        const chunk = Buffer.from(page.map((r) => `${JSON.stringify({ t: ref.name, r })}\n`).join(""));
        hash.update(chunk);
        rows += page.length;
        yield chunk;
      }
      // Counted and read in the same snapshot: a difference is a bug, not a busy database.
      const counted = header.tables[i]!.rows;
      if (rows !== counted) throw new HoldfastError("INTERNAL_ERROR", `backup-self: ${ref.name} counted ${counted} rows but read ${rows}`);
      total += rows;
    }
    digest = hash.digest("hex");
    yield Buffer.from(`${JSON.stringify({ end: { rows: total, sha256: digest } })}\n`);
  }
  return {
    lines,
    sha256: () => {
      if (digest === undefined) throw new Error("backup-self: the export was not read to its end");
      return digest;
    },
  };
}

function encrypterFor(recipients: string[]): Encrypter {
  const encrypter = new Encrypter();
  for (const r of recipients) {
    try {
      encrypter.addRecipient(r);
    } catch {
      throw new HoldfastError("VALIDATION_FAILED", `${r.slice(0, 12)}… is not a valid age recipient (its checksum fails)`);
    }
  }
  return encrypter;
}

/** Node stream → web stream, read one chunk per pull so backpressure holds (Node 20's `Readable.toWeb` reads ahead). */
export function toWebPulled(source: Readable): ReadableStream<Uint8Array> {
  return (ReadableStream as unknown as { from(it: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> }).from(source);
}

/** Makes the rename itself durable: without it a power cut may bring the old name back. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
