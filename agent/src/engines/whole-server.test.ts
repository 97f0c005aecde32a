import { PassThrough, Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { describe, expect, it } from "vitest";
import tarStream from "tar-stream";
import { escapeDatabasePattern, HoldfastError, resolveBackupOptions, type PostgresConnection } from "@holdfast/shared/protocol";
import { failureOf } from "../testing/helpers.js";
import type { DumpHandle, RestoreOptions } from "./types.js";
import type { ServerDialect } from "./whole-server.js";
import { dumpWholeServer } from "./whole-server-dump.js";
import { databaseMatches, selectDatabases } from "./whole-server-patterns.js";
import { restoreWholeServer } from "./whole-server-restore.js";
import { databaseMember, readServerTar } from "./whole-server-tar.js";

const SERVER: PostgresConnection = { host: "127.0.0.1", port: 5432, username: "u", database: "*" };

/** A dump that writes `body` and ends, or fails after writing half of it. */
function fakeDump(body: Buffer, fail = false): DumpHandle {
  const out = new PassThrough();
  const done = new Promise<void>((resolve, reject) => {
    setImmediate(() => {
      out.end(fail ? body.subarray(0, body.length >> 1) : body);
      if (fail) reject(new HoldfastError("DUMP_FAILED", "pg_dump exited with code 1", { stderr: "boom" }));
      else resolve();
    });
  });
  done.catch(() => {});
  return { stdout: out, done, abort: () => false, warnings: () => ["a notice"] };
}

/** A dialect without a server: databases and their bytes in memory; what a restore received, kept. */
function fakeDialect(databases: Record<string, Buffer>, opts: { failing?: string; failRestore?: string } = {}) {
  const restored: Record<string, Buffer> = {};
  const created: string[] = [];
  const existing = new Map<string, number>();
  const dialect: ServerDialect<PostgresConnection> = {
    engine: "postgres",
    memberFormat: "custom",
    memberExt: ".dump",
    testServer: async () => ({ latencyMs: 1, serverVersion: "PostgreSQL 16", databaseSizeBytes: 1 }),
    backupSource: (c) => c,
    preflightWarnings: async () => [],
    describe: async () => ({ serverVersion: "PostgreSQL 16.2", databases: Object.keys(databases).map((name) => ({ name, sizeBytes: databases[name]!.length, properties: { encoding: "UTF8" } })) }),
    dumpGlobals: async () => fakeDump(Buffer.from("CREATE ROLE x;\n")),
    dumpDatabase: async (c) => fakeDump(databases[c.database]!, c.database === opts.failing),
    inspectTargets: async (_t, names) => new Map(names.map((n) => [n, existing.has(n) ? existing.get(n)! : null])),
    createDatabase: async (_t, name) => {
      created.push(name);
      return [];
    },
    restoreGlobals: async (sql) => {
      restored["<globals>"] = await buffer(sql);
      return [];
    },
    restoreDatabase: async (dump, target) => {
      if (target.database === opts.failRestore) throw new HoldfastError("RESTORE_FAILED", "pg_restore exited with code 1", { stderr: "bad" });
      restored[target.database] = await buffer(dump);
      return { durationMs: 1, warnings: [] };
    },
  };
  return { dialect, restored, created, existing };
}

async function dumpToBuffer(dialect: ServerDialect<PostgresConnection>, include?: string[], partBytes = 1000) {
  const handle = dumpWholeServer(dialect, SERVER, resolveBackupOptions({ ...(include ? { databases: { include } } : {}) }, "postgres", true), {}, { partBytes });
  const [bytes] = await Promise.all([buffer(handle.stdout), handle.done]);
  return { bytes, handle };
}

const restoreOpts = (extra: Partial<RestoreOptions> = {}): RestoreOptions => ({ format: "server", codec: "none", ...extra });

describe("database patterns", () => {
  it("match names exactly or as globs whose * crosses any character, a / included", () => {
    expect(databaseMatches("app_1", "app_?")).toBe(true);
    expect(databaseMatches("app_12", "app_?")).toBe(false);
    expect(databaseMatches("a/b c", "a*")).toBe(true);
    expect(databaseMatches("crm", "{shop,crm}")).toBe(true);
    expect(databaseMatches("x", "[!xy]")).toBe(false);
    expect(databaseMatches("a.b", "a.b")).toBe(true);
    expect(databaseMatches("axb", "a.b")).toBe(false);
    expect(databaseMatches("a[", "a[")).toBe(true);
    // A name picked from a list is sent escaped: it matches itself alone, whatever it holds.
    for (const name of ["a*b", "x{1,2}", "q?[z]\\"]) {
      expect(databaseMatches(name, escapeDatabasePattern(name)), name).toBe(true);
      expect(databaseMatches(`${name}2`, escapeDatabasePattern(name)), name).toBe(false);
    }
    expect(databaseMatches("axb", escapeDatabasePattern("a*b"))).toBe(false);
    expect(selectDatabases(["a1", "a2", "b1"], { include: ["a*"], exclude: ["a2"] })).toEqual(["a1"]);
    expect(selectDatabases(["a1", "b1"], undefined)).toEqual(["a1", "b1"]);
  });

  it("name members so any database name is one plain file name", () => {
    expect(databaseMember("shop", ".dump")).toBe("databases/shop.dump");
    expect(databaseMember("../x y/é", ".sql")).toBe("databases/%2E%2E%2Fx%20y%2F%C3%A9.sql");
  });
});

describe("a whole server's tar, written and read as streams", () => {
  const big = Buffer.alloc(3500, 7);
  const small = Buffer.from("PGDMP small");

  it("cuts members into parts, and a restore joins them back byte for byte, renamed", async () => {
    const fake = fakeDialect({ big, small, other: Buffer.from("PGDMP other") });
    const { bytes, handle } = await dumpToBuffer(fake.dialect, ["big", "small"]);
    expect(handle.databases?.()).toEqual(["big", "small"]);
    // 3500 bytes in entries of 1000: four of them, the last one short.
    expect(bytes.includes(Buffer.from("databases/big.dump.000004"))).toBe(true);
    expect(bytes.includes(Buffer.from("databases/big.dump.000005"))).toBe(false);
    expect(handle.warnings?.()).toEqual(["globals.sql: a notice", "databases/big.dump: a notice", "databases/small.dump: a notice"]);
    const into = fakeDialect({});
    await restoreWholeServer(into.dialect, Readable.from([bytes]), SERVER, restoreOpts({ globals: true, rename: { big: "big2" } }), {});
    expect(into.restored).toEqual({ "<globals>": Buffer.from("CREATE ROLE x;\n"), big2: big, small });
    expect(into.created).toEqual(["big2", "small"]);
  });

  it("restores only the databases chosen, and the globals only when asked", async () => {
    const { bytes } = await dumpToBuffer(fakeDialect({ big, small }).dialect);
    const into = fakeDialect({});
    const result = await restoreWholeServer(into.dialect, Readable.from([bytes]), SERVER, restoreOpts({ databases: { include: ["small"] } }), {});
    expect(into.restored).toEqual({ small });
    expect(result.warnings).toContain("globals: the backup carries the server's roles (users); not applied (restore with options.globals to apply them)");
  });

  it("fails the whole dump when one database's dump fails: no backup passes for the server's without it", async () => {
    const fake = fakeDialect({ big, small }, { failing: "small" });
    const handle = dumpWholeServer(fake.dialect, SERVER, resolveBackupOptions(undefined, "postgres", true), {}, { partBytes: 1000 });
    handle.stdout.resume();
    expect((await failureOf(handle.done)).code).toBe("DUMP_FAILED");
  });

  it("refuses a member whose bytes differ from its manifest", async () => {
    const { bytes } = await dumpToBuffer(fakeDialect({ small }).dialect);
    // Flip a byte of the database's dump inside the tar (its header checksum does not cover the data).
    const at = bytes.indexOf(Buffer.from("PGDMP small"));
    const bad = Buffer.from(bytes);
    bad[at + 6] = "X".charCodeAt(0);
    const err = await failureOf(restoreWholeServer(fakeDialect({}).dialect, Readable.from([bad]), SERVER, restoreOpts(), {}));
    expect(err).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "manifest", members: ["databases/small.dump"] } });
  });

  it("refuses a tar cut before its manifest", async () => {
    const { bytes } = await dumpToBuffer(fakeDialect({ big }).dialect);
    const cut = bytes.subarray(0, bytes.indexOf(Buffer.from("manifest.json")) - 1);
    const err = await failureOf(restoreWholeServer(fakeDialect({}).dialect, Readable.from([cut]), SERVER, restoreOpts(), {}));
    expect(err.code).toBe("RESTORE_FAILED");
  });

  it("reports the consumer's own failure, and stops reading", async () => {
    const { bytes } = await dumpToBuffer(fakeDialect({ big, small }).dialect);
    const err = await failureOf(restoreWholeServer(fakeDialect({}, { failRestore: "big" }).dialect, Readable.from([bytes]), SERVER, restoreOpts(), {}));
    expect(err).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "restore", database: "big" } });
    expect(err.message).toContain("pg_restore exited with code 1");
  });

  it("refuses a tar that is not a whole server's, or has an entry it never writes", async () => {
    const tar = async (names: string[]) => {
      const pack = tarStream.pack();
      for (const n of names) pack.entry({ name: n }, n === "index.json" ? JSON.stringify({ holdfastServer: 1, engine: "postgres", serverVersion: "x", createdAt: new Date().toISOString(), globals: null, databases: [] }) : "x");
      pack.finalize();
      return buffer(pack as unknown as Readable);
    };
    const visit = { index: async () => {}, member: async () => null, manifest: async () => {} };
    for (const names of [["toc.dat"], ["index.json", "databases/../x.dump.000001"], ["index.json", "globals.sql.000002"], ["index.json", "globals.sql.000001"]]) {
      const err = await failureOf(readServerTar(Readable.from([await tar(names)]), visit));
      expect(err).toMatchObject({ code: "RESTORE_FAILED", details: { stage: "unpack" } });
    }
  });
});
