import { describe, expect, it } from "vitest";
import { buildConninfo, formatPassfileLine, quoteConninfoValue } from "./conninfo.js";
import { buildPgDumpArgs } from "./engine.js";

describe("conninfo quoting", () => {
  it("single-quotes values and escapes backslash and quote", () => {
    expect(quoteConninfoValue("plain")).toBe("'plain'");
    expect(quoteConninfoValue("x' host=evil")).toBe("'x\\' host=evil'");
    expect(quoteConninfoValue("a\\b")).toBe("'a\\\\b'");
  });

  it("keeps a hostile database name inside the dbname value of ONE --dbname argument", () => {
    const conn = (database: string) => ({ host: "127.0.0.1", port: 5432, database, username: "postgres", password: "pw-secret" });
    expect(buildPgDumpArgs(conn("--file=/etc/x"))).toEqual([
      "--dbname=host='127.0.0.1' port='5432' dbname='--file=/etc/x' user='postgres'",
      "--format=plain",
      "--no-password",
    ]);
    expect(buildPgDumpArgs(conn("x' host=evil"))).toEqual([
      "--dbname=host='127.0.0.1' port='5432' dbname='x\\' host=evil' user='postgres'",
      "--format=plain",
      "--no-password",
    ]);
    expect(buildPgDumpArgs(conn("x")).join(" ")).not.toContain("pw-secret");
  });

  it("produces a conninfo whose only keywords are ours", () => {
    const info = buildConninfo({ host: "db", port: 5432, database: "x' host=evil", username: "u" });
    expect(info).toBe("host='db' port='5432' dbname='x\\' host=evil' user='u'");
  });

  it("escapes ':' and '\\' in a passfile line and refuses line breaks", () => {
    expect(formatPassfileLine("a:b\\c")).toBe("*:*:*:*:a\\:b\\\\c\n");
    expect(() => formatPassfileLine("a\nb")).toThrow();
  });
});
