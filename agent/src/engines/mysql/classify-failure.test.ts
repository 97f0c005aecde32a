import { describe, expect, it } from "vitest";
import { classifyMysqlFailure } from "./classify-failure.js";

// The live cases (1045, 1044, 1049, a closed port) are in failure-codes.test.ts; these are the
// wordings the tools here do not print for us: Oracle's mysqldump, a silent server, an unknown host.
describe("classifyMysqlFailure", () => {
  it.each([
    ["mysqldump: Got error: 1045: Access denied for user 'app'@'10.0.0.5' (using password: YES) when trying to connect", "DATABASE_AUTH_FAILED"],
    ["ERROR 1130 (HY000): Host '10.0.0.5' is not allowed to connect to this MariaDB server", "DATABASE_AUTH_FAILED"],
    ["ERROR 1698 (28000): Access denied for user 'root'@'localhost'", "DATABASE_AUTH_FAILED"],
    ['mariadb-dump: Got error: 1049: "Unknown database \'app\'" when selecting the database', "DATABASE_NOT_FOUND"],
    ["ERROR 2013 (HY000): Lost connection to server at 'handshake: reading initial communication packet', system error: 110", "DATABASE_UNREACHABLE"],
    ["ERROR 2005 (HY000): Unknown server host 'db.invalid' (-2)", "DATABASE_UNREACHABLE"],
    ["mysqldump: Got error: 2003: Can't connect to MySQL server on '10.0.0.5:3306' (110) when trying to connect", "DATABASE_UNREACHABLE"],
    ["ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)", "DATABASE_UNREACHABLE"],
  ])("%s", (stderr, code) => {
    expect(classifyMysqlFailure(stderr)?.code).toBe(code);
  });

  it("reads nothing into errors after the connection was made (a statement of the restored dump, a dump that lost its server)", () => {
    expect(classifyMysqlFailure("ERROR 1049 (42000) at line 5: Unknown database 'other'")).toBeNull();
    expect(classifyMysqlFailure("ERROR 2013 (HY000) at line 812: Lost connection to server during query")).toBeNull();
    expect(classifyMysqlFailure("mariadb-dump: Error 2013: Lost connection to server during query when dumping table `t` at row: 1200")).toBeNull();
    expect(classifyMysqlFailure("ERROR 2026 (HY000): TLS/SSL error: SSL is required, but the server does not support it")).toBeNull();
  });
});
