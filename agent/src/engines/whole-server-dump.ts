import { pipeline } from "node:stream/promises";
import { HoldfastError, type ResolvedBackupOptions } from "@holdfast/shared/protocol";
import { startDump, stoppedError } from "./dump-handle.js";
import type { DumpHandle, DumpHints } from "./types.js";
import type { ServerConnection, ServerDialect, WholeServerOptions } from "./whole-server.js";
import { noneMatched, selectDatabases } from "./whole-server-patterns.js";
import { databaseMember, GLOBALS_MEMBER, INDEX_NAME, MANIFEST_NAME, SERVER_PART_BYTES, ServerTarWriter, type MemberDigest, type ServerIndex, type ServerManifest } from "./whole-server-tar.js";

/** The options each database's own dump runs with: the engine's best format, whole, no drill, no encryption (the tar is encrypted as one). */
function memberOptions(options: ResolvedBackupOptions, format: "custom" | "plain"): ResolvedBackupOptions {
  return {
    format,
    codec: options.codec,
    level: options.level,
    tables: { include: [], exclude: [] },
    schemas: { include: [], exclude: [] },
    schemaOnly: options.schemaOnly,
    dataOnly: options.dataOnly,
    globals: false,
  };
}

/**
 * A whole server's dump as one stream: the database list read now, the index, the globals, one
 * database at a time through the engine's own dump, the manifest. Any member's failure fails it all:
 * a backup missing a database never passes for the server's.
 */
export function dumpWholeServer<C extends ServerConnection>(dialect: ServerDialect<C>, connection: C, options: ResolvedBackupOptions, hints: DumpHints, opts: WholeServerOptions = {}): DumpHandle {
  const tar = new ServerTarWriter(opts.partBytes ?? SERVER_PART_BYTES);
  let current: DumpHandle | null = null;
  let names: string[] = [];
  // The list, the globals and every database from the one server a backup reads (a standby, when named).
  const source = dialect.backupSource(connection);
  const handle = startDump({
    produce: async (run) => {
      const server = await dialect.describe(source);
      const all = server.databases.map((d) => d.name);
      names = selectDatabases(all, options.databases);
      if (names.length === 0) throw noneMatched("server", all, options.databases ?? {});
      const chosen = names.map((name) => server.databases.find((d) => d.name === name)!);
      const packed = pipeline(tar.stream, run.out, { end: false });
      packed.catch(() => {});
      const member = async (name: string, start: () => Promise<DumpHandle>): Promise<MemberDigest> => {
        if (run.stopped) throw stoppedError();
        const dump = await start();
        current = dump;
        if (run.stopped) dump.abort();
        const digest = await tar.writeMember(name, dump.stdout);
        await dump.done;
        current = null;
        for (const line of dump.warnings?.() ?? []) run.warnings.push(`${name}: ${line}`);
        return digest;
      };

      const globals = options.globals ? await dialect.dumpGlobals({ ...source }, hints) : { skipped: "options.globals is false" };
      const skipped = "skipped" in globals ? globals.skipped : undefined;
      if (skipped !== undefined && options.globals) run.warnings.push(`globals: not in this backup: ${skipped}`);
      const base = {
        holdfastServer: 1 as const,
        engine: dialect.engine,
        serverVersion: server.serverVersion.slice(0, 500),
        createdAt: new Date().toISOString(),
        ...(skipped !== undefined ? { globalsSkipped: skipped.slice(0, 500) } : {}),
      };
      const planned = chosen.map((d) => ({ name: d.name, member: databaseMember(d.name, dialect.memberExt), format: dialect.memberFormat, properties: d.properties }));
      const index: ServerIndex = { ...base, globals: skipped === undefined ? { member: GLOBALS_MEMBER } : null, databases: planned };
      await tar.writeJson(INDEX_NAME, index);

      let globalsDigest: MemberDigest | null = null;
      if (!("skipped" in globals)) globalsDigest = await member(GLOBALS_MEMBER, async () => globals);
      const databases: ServerManifest["databases"] = [];
      for (const db of planned) {
        const digest = await member(db.member, () => dialect.dumpDatabase({ ...source, database: db.name }, memberOptions(options, dialect.memberFormat), hints));
        databases.push({ ...db, sizeBytes: digest.sizeBytes, sha256: digest.sha256, parts: digest.parts });
      }
      const manifest: ServerManifest = {
        ...base,
        globals: globalsDigest ? { member: GLOBALS_MEMBER, sizeBytes: globalsDigest.sizeBytes, sha256: globalsDigest.sha256, parts: globalsDigest.parts } : null,
        databases,
      };
      await tar.writeJson(MANIFEST_NAME, manifest);
      tar.finalize();
      await packed;
    },
    onAbort: () => {
      current?.abort();
      tar.destroy(stoppedError());
    },
    failure: (err, stopped) => {
      tar.destroy();
      // After abort() a torn-down stream's own error is the stop; a member's DUMP_FAILED says which tool stopped.
      return stopped && !(err instanceof HoldfastError) ? stoppedError() : err;
    },
  });
  return { ...handle, databases: () => names };
}
