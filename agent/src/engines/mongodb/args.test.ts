import { describe, expect, it } from "vitest";
import { MongoConnection } from "@holdfast/shared";
import { parseArchivePrelude } from "./archive-prelude.js";
import { buildMongoConnectionArgs, buildMongodumpArgs, buildMongorestoreArgs, buildMongoTlsArgs, escapeNamespace } from "./args.js";
import { formatConfigFile, yamlQuote } from "./config-file.js";
import { renameFor, userNamespaces } from "./engine.js";
import { buildArchive } from "../../testing/mongo-archive.js";

const conn = (over: Partial<MongoConnection> = {}): MongoConnection => ({ host: "mongo.example", port: 27018, database: "shop", username: "backup", authDatabase: "admin", ...over });
const CONFIG = "/tmp/holdfast-mongo-x/tools.yaml";

describe("mongodump / mongorestore arguments", () => {
  it("puts --config first, host, port, user and auth db as single values, and never the password", () => {
    const args = buildMongodumpArgs(CONFIG, conn({ password: "hunter2" }));
    expect(args).toEqual([`--config=${CONFIG}`, "--host=mongo.example", "--port=27018", "--username=backup", "--authenticationDatabase=admin", "--db=shop", "--archive"]);
    expect(args.join(" ")).not.toContain("hunter2");
    expect(buildMongodumpArgs(null, { host: "h", port: 27017 })).toEqual(["--host=h", "--port=27017", "--archive"]);
    expect(buildMongoConnectionArgs(null, { host: "/tmp/mongodb-27017.sock", port: 27017 })).toEqual(["--host=/tmp/mongodb-27017.sock"]);
  });

  it("maps TLS modes onto the tools' --ssl flags", () => {
    expect(buildMongoTlsArgs(undefined)).toEqual([]);
    expect(buildMongoTlsArgs({ mode: "disable" })).toEqual([]);
    expect(buildMongoTlsArgs({ mode: "prefer" })).toEqual([]);
    expect(buildMongoTlsArgs({ mode: "require" })).toEqual(["--ssl", "--sslAllowInvalidCertificates"]);
    expect(buildMongoTlsArgs({ mode: "require", caFile: "/ca" })).toEqual(["--ssl", "--sslCAFile=/ca", "--sslAllowInvalidHostnames"]);
    expect(buildMongoTlsArgs({ mode: "verify-ca", caFile: "/ca" })).toEqual(["--ssl", "--sslCAFile=/ca", "--sslAllowInvalidHostnames"]);
    expect(buildMongoTlsArgs({ mode: "verify-full" })).toEqual(["--ssl"]);
  });

  it("restores with --stopOnError, --drop only for overwrite, and maps the archive's database onto the target's", () => {
    expect(buildMongorestoreArgs(CONFIG, conn(), { drop: false })).toEqual([...buildMongoConnectionArgs(CONFIG, conn()), "--archive", "--stopOnError", "--nsInclude=shop.*"]);
    expect(buildMongorestoreArgs(CONFIG, conn(), { drop: true, rename: { from: "prod*", to: "shop" } }).slice(-5)).toEqual([
      "--stopOnError",
      "--drop",
      "--nsInclude=prod\\*.*",
      "--nsFrom=prod\\*.*",
      "--nsTo=shop.*",
    ]);
    expect(escapeNamespace("a\\b*c")).toBe("a\\\\b\\*c");
  });

  it("keeps hostile names inert: refused by the schema, or one `--opt=value` element", () => {
    for (const database of ["--eval=x", "-d", "a\nb", "a\0b", "mongodb://evil/x", "x=y"]) {
      expect(MongoConnection.safeParse({ host: "h", database }).success, database).toBe(false);
    }
    for (const host of ["--host=evil", "evil host", "a=b"]) expect(MongoConnection.safeParse({ host }).success).toBe(false);
    const name = "$(id) `x`";
    expect(MongoConnection.safeParse({ host: "h", database: name }).success).toBe(true);
    expect(buildMongodumpArgs(null, conn({ database: name }))).toContain(`--db=${name}`);
  });
});

describe("the --config file", () => {
  it("holds the password as a YAML double-quoted scalar that reads back exactly (JSON strings are YAML)", () => {
    for (const p of ['a"b#c\\d', "x\ny", "\r\n\t", "  lead", "trail  ", "'q'", "é😀", ": {x: 1}", "- item", "\x01\x7f\u0085\u2028\u2029\ufeff", "#", ""]) {
      const line = formatConfigFile(p);
      expect(line.split("\n")).toHaveLength(2);
      expect(JSON.parse(line.slice("password: ".length))).toBe(p);
    }
  });

  it("refuses NUL and broken Unicode", () => {
    expect(() => yamlQuote("a\0b")).toThrow(/NUL/);
    expect(() => yamlQuote("a\uD800b")).toThrow(/Unicode/);
    expect(yamlQuote("😀")).toBe('"😀"');
  });
});

describe("the archive prelude", () => {
  const archive = buildArchive([
    { db: "shop", collection: "orders", size: 1000 },
    { db: "shop", collection: "system.views", size: 10 },
    { db: "admin", collection: "system.users", size: 5 },
  ]);

  it("reads versions and collections once complete, null before, and refuses what is not an archive", () => {
    const prelude = parseArchivePrelude(archive)!;
    expect(prelude).toMatchObject({ serverVersion: "7.0.5", toolVersion: "100.9.4" });
    expect(prelude.namespaces.map((n) => `${n.db}.${n.collection}:${n.size}`)).toEqual(["shop.orders:1000", "shop.system.views:10", "admin.system.users:5"]);
    expect(userNamespaces(prelude).map((n) => n.collection)).toEqual(["orders"]);
    for (let cut = 0; cut < prelude.length; cut += 7) expect(parseArchivePrelude(archive.subarray(0, cut))).toBeNull();
    expect(parseArchivePrelude(archive.subarray(0, prelude.length))).toEqual(prelude);
    expect(() => parseArchivePrelude(Buffer.from("-- MariaDB dump\n"))).toThrow(/magic/);
  });

  it("decides the restore's rename from the archive's databases", () => {
    const one = parseArchivePrelude(buildArchive([{ db: "prod", collection: "a" }, { db: "prod", collection: "b" }]))!;
    expect(renameFor(one, conn({ database: "shop" }))).toEqual({ rename: { from: "prod", to: "shop" } });
    expect(renameFor(one, conn({ database: "prod" }))).toEqual({});
    expect(renameFor(one, conn({ database: undefined }))).toEqual({});
    const two = parseArchivePrelude(buildArchive([{ db: "a", collection: "x" }, { db: "b", collection: "y" }]))!;
    expect(() => renameFor(two, conn({ database: "shop" }))).toThrow(/2 databases/);
    expect(renameFor(two, conn({ database: undefined }))).toEqual({});
  });
});
