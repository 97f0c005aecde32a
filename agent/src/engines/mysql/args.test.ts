import { describe, expect, it } from "vitest";
import { MysqlConnection, resolveBackupOptions } from "@holdfast/shared";
import { buildClientArgs, buildConnectionArgs, buildDumpArgs, buildTlsArgs } from "./args.js";
import { selectTables, tableMatches } from "./tables.js";

const conn = (over: Partial<MysqlConnection> = {}): MysqlConnection => ({ host: "db.example", port: 3307, database: "shop", username: "backup", ...over });
const FILE = "/tmp/holdfast-my-x/client.cnf";

describe("buildConnectionArgs", () => {
  it("puts --defaults-extra-file first, forces TCP for a host name, and never carries the password", () => {
    const args = buildConnectionArgs(FILE, conn({ password: "hunter2" }), "mariadb");
    expect(args).toEqual([`--defaults-extra-file=${FILE}`, "--protocol=TCP", "--host=db.example", "--port=3307", "--user=backup"]);
    expect(args.join(" ")).not.toContain("hunter2");
    expect(buildConnectionArgs(FILE, conn({ host: "localhost" }), "mariadb")).toContain("--protocol=TCP");
  });

  it("uses the socket for an absolute host path", () => {
    expect(buildConnectionArgs(FILE, conn({ host: "/run/mysqld/mysqld.sock" }), "mariadb")).toEqual([
      `--defaults-extra-file=${FILE}`,
      "--protocol=SOCKET",
      "--socket=/run/mysqld/mysqld.sock",
      "--user=backup",
    ]);
  });
});

describe("buildTlsArgs", () => {
  it("maps libpq's modes onto MariaDB's flags, enforcing TLS whenever it is required", () => {
    expect(buildTlsArgs(undefined, "mariadb")).toEqual([]);
    expect(buildTlsArgs({ mode: "disable" }, "mariadb")).toEqual(["--skip-ssl"]);
    expect(buildTlsArgs({ mode: "prefer" }, "mariadb")).toEqual(["--ssl", "--skip-ssl-verify-server-cert"]);
    expect(buildTlsArgs({ mode: "require" }, "mariadb")).toEqual(["--ssl", "--ssl-verify-server-cert"]);
    expect(buildTlsArgs({ mode: "verify-ca", caFile: "/etc/ca.pem" }, "mariadb")).toEqual(["--ssl", "--ssl-verify-server-cert", "--ssl-ca=/etc/ca.pem"]);
    expect(buildTlsArgs({ mode: "verify-full", caFile: "/etc/ca.pem" }, "mariadb")).toEqual(["--ssl", "--ssl-verify-server-cert", "--ssl-ca=/etc/ca.pem"]);
  });

  it("maps them onto MySQL's --ssl-mode", () => {
    expect(buildTlsArgs({ mode: "disable" }, "mysql")).toEqual(["--ssl-mode=DISABLED"]);
    expect(buildTlsArgs({ mode: "prefer" }, "mysql")).toEqual(["--ssl-mode=PREFERRED"]);
    expect(buildTlsArgs({ mode: "require" }, "mysql")).toEqual(["--ssl-mode=REQUIRED"]);
    expect(buildTlsArgs({ mode: "require", caFile: "/ca" }, "mysql")).toEqual(["--ssl-mode=VERIFY_CA", "--ssl-ca=/ca"]);
    expect(buildTlsArgs({ mode: "verify-ca", caFile: "/ca" }, "mysql")).toEqual(["--ssl-mode=VERIFY_CA", "--ssl-ca=/ca"]);
    expect(buildTlsArgs({ mode: "verify-full" }, "mysql")).toEqual(["--ssl-mode=VERIFY_IDENTITY"]);
  });
});

describe("buildDumpArgs", () => {
  it("dumps one database in one snapshot with routines, triggers, events, hex blobs; names after --", () => {
    const args = buildDumpArgs(FILE, conn(), "mariadb");
    expect(args[0]).toBe(`--defaults-extra-file=${FILE}`);
    expect(args).toEqual(expect.arrayContaining(["--single-transaction", "--routines", "--triggers", "--events", "--hex-blob", "--default-character-set=utf8mb4", "--comments", "--no-tablespaces"]));
    expect(args.slice(-2)).toEqual(["--", "shop"]);
    expect(args).not.toContain("--set-gtid-purged=OFF");
    expect(buildDumpArgs(FILE, conn(), "mysql")).toContain("--set-gtid-purged=OFF");
  });

  it("schema-only drops the rows; data-only drops DDL, triggers, routines and events", () => {
    const schema = buildDumpArgs(FILE, conn(), "mariadb", resolveBackupOptions({ schemaOnly: true }, "mysql"));
    expect(schema).toContain("--no-data");
    expect(schema).toContain("--routines");
    const data = buildDumpArgs(FILE, conn(), "mariadb", resolveBackupOptions({ dataOnly: true }, "mysql"));
    expect(data).toEqual(expect.arrayContaining(["--no-create-info", "--skip-triggers"]));
    expect(data).not.toContain("--routines");
    expect(data).not.toContain("--events");
  });

  it("passes hostile database and table names as inert values after --", () => {
    const hostile = ["--file=/etc/x", "$(id)", "a`b", "x y", "-e", "--", "a\nb"];
    for (const name of hostile) {
      const args = buildDumpArgs(FILE, conn({ database: name }), "mariadb", undefined, { only: [name, "t"], ignore: [] });
      const end = args.indexOf("--");
      expect(args.slice(end)).toEqual(["--", name, name, "t"]);
      // Before `--`, every argument is ours: an option of a fixed set, or `--ignore-table=db.t` as one element.
      expect(args.slice(0, end).every((a) => a.startsWith("--"))).toBe(true);
      expect(args.slice(0, end)).not.toContain(name);
    }
    const ignoring = buildDumpArgs(FILE, conn({ database: "shop" }), "mariadb", undefined, { only: [], ignore: ["--file=/x", "a b"] });
    expect(ignoring).toEqual(expect.arrayContaining(["--ignore-table=shop.--file=/x", "--ignore-table=shop.a b"]));
  });

  it("refuses option-like and control-character names in the connection schema already", () => {
    for (const database of ["--file=/etc/x", "-x", "a\nb", "a\0b", "host=evil dbname=x", "mysql://evil/x"]) {
      expect(MysqlConnection.safeParse({ host: "h", database, username: "u" }).success, database).toBe(false);
    }
    for (const host of ["--host=evil", "evil host", "a=b"]) expect(MysqlConnection.safeParse({ host, database: "d", username: "u" }).success).toBe(false);
    expect(MysqlConnection.safeParse({ host: "h", database: "$(id) `x`", username: "u" }).success).toBe(true);
  });
});

describe("buildClientArgs", () => {
  it("runs the client in binary mode (no client commands from the data), sandboxed when it can, without LOCAL INFILE", () => {
    const args = buildClientArgs(FILE, conn(), "mariadb", { sandbox: true, database: "--file=/x" });
    expect(args[0]).toBe(`--defaults-extra-file=${FILE}`);
    expect(args).toEqual(expect.arrayContaining(["--binary-mode", "--sandbox", "--local-infile=0", "--batch"]));
    expect(args.slice(-2)).toEqual(["--", "--file=/x"]);
    expect(buildClientArgs(FILE, conn(), "mysql", { sandbox: false, database: null })).not.toContain("--");
  });
});

describe("table patterns", () => {
  const names = ["actor", "film", "film_actor", "film_text", "a[1]", "odd `name`"];

  it("match by exact name or picomatch glob", () => {
    expect(tableMatches("a[1]", "a[1]")).toBe(true);
    expect(tableMatches("film_text", "film*")).toBe(true);
    expect(tableMatches("actor", "film*")).toBe(false);
    expect(tableMatches("odd `name`", "odd `name`")).toBe(true);
  });

  it("resolve includes and excludes against the tables that exist", () => {
    expect(selectTables(names, { include: [], exclude: [] })).toEqual({ only: [], ignore: [] });
    expect(selectTables(names, { include: [], exclude: ["film_*"] })).toEqual({ only: [], ignore: ["film_actor", "film_text"] });
    expect(selectTables(names, { include: ["film*"], exclude: ["film_text"] })).toEqual({ only: ["film", "film_actor"], ignore: [] });
    expect(selectTables(names, { include: ["odd `name`", "a[1]"], exclude: [] })).toEqual({ only: ["a[1]", "odd `name`"], ignore: [] });
    expect(() => selectTables(names, { include: ["nope*"], exclude: [] })).toThrow(/No table matches/);
  });
});
