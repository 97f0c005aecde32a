import fs from "node:fs";
import { HoldfastError, type Codec, type DumpFormat, type Engine } from "@holdfast/shared/protocol";
import { createDecoder, type CodecTools } from "./codec.js";

/** How much of the decoded dump the check reads: the MariaDB sandbox line comes before its header. */
export const HEAD_BYTES = 512;
const HEAD_READ_TIMEOUT_MS = 30_000;

/**
 * What the first bytes of a dump tool's output look like, for the formats whose tool writes a fixed
 * header. A tool that exited 0 after writing something else (a wrapper's garbage, an error page, a
 * different program on the tool's path) made no backup: docs/decisions.md, "A dump starts as its
 * tool writes one". Formats the agent itself assembles (directory, whole server, tar) are not checked.
 */
const EXPECTED_HEADS: Partial<Record<`${Engine}/${DumpFormat}`, { tool: string; matches(head: string): boolean }>> = {
  // pg_dump's plain header; with globals pg_dumpall's cluster header comes first.
  "postgres/plain": { tool: "pg_dump", matches: (h) => /^--\n-- PostgreSQL database (cluster )?dump\b/.test(h) },
  // The custom format's magic (pg_backup_archiver.c).
  "postgres/custom": { tool: "pg_dump", matches: (h) => h.startsWith("PGDMP") },
  // mysqldump's and mariadb-dump's header comment, after MariaDB's optional sandbox line.
  "mysql/plain": { tool: "mysqldump", matches: (h) => /^(\/\*M![^\n]*\n)?-- (MySQL|MariaDB) dump\b/.test(h) },
};

/** True when `head` (the dump's first decoded bytes) starts as the format's tool writes it, or the format has no fixed header. */
export function dumpHeadMatches(engine: Engine, format: DumpFormat, head: Buffer): boolean {
  const expected = EXPECTED_HEADS[`${engine}/${format}`];
  return !expected || expected.matches(head.toString("latin1"));
}

/** Up to `bytes` of the staged file's content before compression; bounded in time (a decoder child that hangs is stopped). */
export async function readDumpHead(file: string, codec: Codec, tools: CodecTools = {}, bytes = HEAD_BYTES): Promise<Buffer> {
  const decoder = createDecoder(codec, tools);
  decoder.done.catch(() => {});
  const source = fs.createReadStream(file);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new HoldfastError("DUMP_FAILED", "Reading the dump's first bytes took too long")), HEAD_READ_TIMEOUT_MS);
      const finish = (err?: unknown) => (clearTimeout(timer), err ? reject(err) : resolve());
      decoder.stream.on("data", (c: Buffer) => {
        chunks.push(c);
        total += c.length;
        if (total >= bytes) finish();
      });
      decoder.stream.once("end", () => finish());
      decoder.stream.once("error", finish);
      source.once("error", finish);
      source.pipe(decoder.stream);
    });
  } finally {
    source.destroy();
    decoder.abort();
    decoder.stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, bytes);
}

/**
 * Refuses a staged dump that does not start as its tool's output does, before the run may complete:
 * DUMP_FAILED with what was found (printable characters only, short).
 */
export async function assertDumpHead(file: string, engine: Engine, format: DumpFormat, codec: Codec, tools: CodecTools = {}): Promise<void> {
  const expected = EXPECTED_HEADS[`${engine}/${format}`];
  if (!expected) return;
  let head: Buffer;
  try {
    head = await readDumpHead(file, codec, tools);
  } catch (err) {
    if (err instanceof HoldfastError) throw err;
    throw new HoldfastError("DUMP_FAILED", `The dump's first bytes could not be read back (${(err as NodeJS.ErrnoException)?.code ?? "unreadable"})`);
  }
  if (dumpHeadMatches(engine, format, head)) return;
  const seen = head.subarray(0, 40).toString("latin1").replace(/[^\x20-\x7e]/g, "?");
  throw new HoldfastError("DUMP_FAILED", `The dump does not start as ${expected.tool} output does (${format} format): it starts with "${seen}"`, { format, head: seen });
}
