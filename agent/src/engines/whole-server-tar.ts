import { createHash, type Hash } from "node:crypto";
import { Readable, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { z } from "zod";
import { HoldfastError } from "@holdfast/shared/protocol";
import { lazyRequire } from "../lazy-require.js";

/** Loaded on first use: most agents never write or read a whole server's tar. */
const tarStream = lazyRequire<typeof import("tar-stream")>("tar-stream");

/**
 * A tar header carries the entry's size before its bytes, and a dump's size is known only at its end.
 * So each member (the globals, one database's dump) is cut into entries of at most this many bytes,
 * `<member>.000001`, `.000002`..., each held in memory while it fills: memory stays bounded whatever
 * the database's size, and no temp file doubles the disk I/O on the database's host. By hand:
 * `tar -xOf x.server.tar --wildcards 'databases/shop.dump.*' | pg_restore -d shop` joins them in order.
 */
export const SERVER_PART_BYTES = 8 * 1024 * 1024;

/** First entry: what the tar holds, written before any dump (a restore checks its choices against it before touching anything). */
export const INDEX_NAME = "index.json";
/** Last entry: the index with each member's size, SHA-256 and entry count. */
export const MANIFEST_NAME = "manifest.json";
export const GLOBALS_MEMBER = "globals.sql";
/** The index and manifest are small: a bound on what a restore reads into memory. */
const MAX_JSON_BYTES = 16 * 1024 * 1024;

/**
 * `databases/<name><ext>`, the name with every byte outside `[A-Za-z0-9_-]` percent-encoded (UTF-8):
 * whatever a database is called (`/`, `..`, a space, unicode), its member is one plain file name.
 */
export function databaseMember(name: string, ext: string): string {
  const encoded = [...Buffer.from(name, "utf8")].map((b) => (/[A-Za-z0-9_-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`)).join("");
  return `databases/${encoded}${ext}`;
}

export function partName(member: string, index: number): string {
  return `${member}.${String(index).padStart(6, "0")}`;
}

const PART = /^(globals\.sql|databases\/[A-Za-z0-9_%-]+\.(?:dump|sql))\.(\d{6,9})$/;

/** A part's member and 1-based index; null for a name this format never writes. */
export function parsePartName(name: string): { member: string; index: number } | null {
  const m = PART.exec(name);
  return m ? { member: m[1]!, index: Number(m[2]) } : null;
}

const Member = z.string().min(1).max(1024);
const Digest = { sizeBytes: z.number().int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/), parts: z.number().int().min(1) };

const IndexDatabase = z
  .object({
    name: z.string().min(1).max(255),
    member: Member,
    /** The engine's format of this dump: PostgreSQL's custom (`pg_restore`), MySQL's plain SQL. */
    format: z.enum(["custom", "plain"]),
    /** What creating it again takes (PostgreSQL: encoding, collate, ctype, owner; MySQL: charset, collation). */
    properties: z.record(z.string().max(64), z.string().max(500).nullable()),
  })
  .strict();

const Index = z
  .object({
    holdfastServer: z.literal(1),
    engine: z.enum(["postgres", "mysql"]),
    serverVersion: z.string().max(500),
    createdAt: z.iso.datetime({ offset: true }),
    /** The globals' member (PostgreSQL: `pg_dumpall --globals-only`; MariaDB: users and grants), or null with the reason. */
    globals: z.object({ member: z.literal(GLOBALS_MEMBER) }).strict().nullable(),
    globalsSkipped: z.string().max(500).optional(),
    databases: z.array(IndexDatabase).max(10_000),
  })
  .strict();
export type ServerIndex = z.infer<typeof Index>;

export const ServerManifest = Index.extend({
  globals: z.object({ member: z.literal(GLOBALS_MEMBER), ...Digest }).strict().nullable(),
  databases: z.array(IndexDatabase.extend(Digest).strict()).max(10_000),
}).strict();
export type ServerManifest = z.infer<typeof ServerManifest>;

export function parseIndex(value: unknown): ServerIndex {
  return parseJson(Index, value, INDEX_NAME);
}

export function parseManifest(value: unknown): ServerManifest {
  return parseJson(ServerManifest, value, MANIFEST_NAME);
}

function parseJson<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HoldfastError("RESTORE_FAILED", `The artifact's ${name} is not a whole-server ${name}`, { stage: "unpack", issues: parsed.error.issues.slice(0, 5).map((i) => i.message) });
  return parsed.data;
}

/** What a member came to: its bytes (all parts joined), their SHA-256, how many entries. */
export interface MemberDigest {
  member: string;
  sizeBytes: number;
  sha256: string;
  parts: number;
}

/** Writes a whole server's tar as one stream: the index, members cut into parts, the manifest. */
export class ServerTarWriter {
  private readonly pack = tarStream().pack();
  /** The tar's bytes; tar-stream's streams are streamx streams, which Node's pipeline drives like its own. */
  readonly stream = this.pack as unknown as Readable;

  constructor(
    private readonly partBytes = SERVER_PART_BYTES,
    private readonly mtime = new Date(),
  ) {}

  async writeJson(name: string, value: unknown): Promise<void> {
    const body = Buffer.from(JSON.stringify(value, null, 2) + "\n", "utf8");
    await this.entry(name, [body], body.length);
  }

  /** The source's bytes as `<member>.000001`...: at least one entry (an empty member is one empty entry). */
  async writeMember(member: string, source: Readable): Promise<MemberDigest> {
    const hash = createHash("sha256");
    let sizeBytes = 0;
    let parts = 0;
    let held: Buffer[] = [];
    let heldBytes = 0;
    const flush = async () => {
      parts += 1;
      const body = held;
      const size = heldBytes;
      held = [];
      heldBytes = 0;
      await this.entry(partName(member, parts), body, size);
    };
    for await (const chunk of source) {
      let buf = chunk as Buffer;
      hash.update(buf);
      sizeBytes += buf.length;
      while (heldBytes + buf.length >= this.partBytes) {
        const take = this.partBytes - heldBytes;
        held.push(buf.subarray(0, take));
        heldBytes += take;
        buf = buf.subarray(take);
        await flush();
      }
      if (buf.length > 0) {
        held.push(buf);
        heldBytes += buf.length;
      }
    }
    if (heldBytes > 0 || parts === 0) await flush();
    return { member, sizeBytes, sha256: hash.digest("hex"), parts };
  }

  finalize(): void {
    this.pack.finalize();
  }

  destroy(err?: Error): void {
    this.pack.destroy(err);
  }

  private async entry(name: string, body: Buffer[], size: number): Promise<void> {
    const sink = this.pack.entry({ name, size, mode: 0o600, mtime: this.mtime });
    await pipeline(Readable.from(body), sink as unknown as Writable);
  }
}

/** Where a member's bytes go during a restore, and what to await once they all went. */
export interface MemberConsumer {
  input: Writable;
  done: Promise<unknown>;
}

export interface ServerTarVisitor {
  index(index: ServerIndex): Promise<void>;
  /** A member begins: where its bytes go, or null to skip it (it is still read and hashed). */
  member(member: string): Promise<MemberConsumer | null>;
  /** The manifest, with what was read of each member: called once, after the last member ended. */
  manifest(manifest: ServerManifest, read: MemberDigest[]): Promise<void>;
}

function refused(message: string, name: string): HoldfastError {
  return new HoldfastError("RESTORE_FAILED", message, { stage: "unpack", name: name.slice(0, 200) });
}

async function readJsonEntry(entry: AsyncIterable<unknown>, name: string): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of entry) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_JSON_BYTES) throw refused(`The artifact's ${name} is larger than ${MAX_JSON_BYTES} bytes`, name);
    chunks.push(buf);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw refused(`The artifact's ${name} is not JSON`, name);
  }
}

/** Resolves when `input` takes more; rejects when it was destroyed instead (its reader gave up). */
function drained(input: Writable): Promise<void> {
  if (input.destroyed) return Promise.reject(new Error("the member's reader stopped"));
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      input.off("drain", onDrain);
      input.off("close", onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onClose = () => done(new Error("the member's reader stopped"));
    input.on("drain", onDrain);
    input.on("close", onClose);
  });
}

interface OpenMember {
  member: string;
  next: number;
  hash: Hash;
  sizeBytes: number;
  consumer: MemberConsumer | null;
}

/**
 * Reads a whole server's tar as a stream, in one pass: the index first, each member's parts in order
 * (joined into its consumer's input, which is ended when the member ends and awaited before the next
 * begins), the manifest last. Anything else (another name, a link, a part out of order, an entry
 * after the manifest, no manifest at all) stops it. A consumer's own failure is the error reported.
 */
export async function readServerTar(source: Readable, visit: ServerTarVisitor): Promise<void> {
  const extract = tarStream().extract();
  const read: MemberDigest[] = [];
  let open: OpenMember | null = null;
  const close = async () => {
    if (!open) return;
    const m = open;
    open = null;
    read.push({ member: m.member, sizeBytes: m.sizeBytes, sha256: m.hash.digest("hex"), parts: m.next - 1 });
    if (m.consumer) {
      m.consumer.input.end();
      await m.consumer.done;
    }
  };
  const consume = async () => {
    let stage: "index" | "members" | "end" = "index";
    for await (const entry of extract) {
      const name = entry.header.name;
      if (entry.header.type !== "file") throw refused("The artifact's tar holds an entry that is not a plain file", name);
      if (stage === "end") throw refused("The artifact's tar goes on after its manifest", name);
      if (stage === "index") {
        if (name !== INDEX_NAME) throw refused(`The artifact's tar does not start with ${INDEX_NAME}: not a whole-server backup`, name);
        await visit.index(parseIndex(await readJsonEntry(entry, name)));
        stage = "members";
        continue;
      }
      if (name === MANIFEST_NAME) {
        await close();
        await visit.manifest(parseManifest(await readJsonEntry(entry, name)), read);
        stage = "end";
        continue;
      }
      const part = parsePartName(name);
      if (!part) throw refused("The artifact's tar holds an entry a whole-server backup never has", name);
      if (open && open.member !== part.member) await close();
      if (!open) {
        if (part.index !== 1 || read.some((r) => r.member === part.member)) throw refused("A member's parts are out of order", name);
        open = { member: part.member, next: 1, hash: createHash("sha256"), sizeBytes: 0, consumer: await visit.member(part.member) };
      }
      const m: OpenMember = open;
      if (part.index !== m.next) throw refused("A member's parts are out of order", name);
      m.next += 1;
      const count = (chunk: Buffer) => {
        m.hash.update(chunk);
        m.sizeBytes += chunk.length;
      };
      if (!m.consumer) {
        for await (const chunk of entry) count(chunk as Buffer);
        continue;
      }
      const consumer = m.consumer;
      try {
        for await (const chunk of entry) {
          count(chunk as Buffer);
          if (!consumer.input.write(chunk)) await drained(consumer.input);
        }
      } catch (err) {
        // The consumer stopped reading (it failed, and destroyed its input): its error is the story.
        throw (await consumer.done.then(() => null, (e: unknown) => e)) ?? err;
      }
    }
    if (stage !== "end") throw refused(`The artifact's tar ends before its ${MANIFEST_NAME}: it is cut short`, "");
  };
  const consuming = consume().catch(async (err: unknown) => {
    const m = open as OpenMember | null;
    if (m?.consumer) {
      m.consumer.input.destroy(err instanceof Error ? err : new Error(String(err)));
      await m.consumer.done.catch(() => {});
    }
    extract.destroy(err as Error);
    throw err;
  });
  // Both halves settle before the answer: the reader's own error, when it has one, is the story.
  const [fed, consumed] = await Promise.allSettled([pipeline(source, extract as unknown as Writable), consuming]);
  if (consumed.status === "rejected") throw consumed.reason;
  if (fed.status === "rejected") throw fed.reason;
}
