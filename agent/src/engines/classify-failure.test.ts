import { describe, expect, it } from "vitest";
import type { DatabaseFailureCode, FailureClassifier } from "./failure-codes.js";
import { fileFailureCode } from "./failure-codes.js";
import { classifyMongoFailure } from "./mongodb/classify-failure.js";
import { classifyMysqlFailure } from "./mysql/classify-failure.js";
import { classifyPgFailure } from "./postgres/classify-failure.js";

/**
 * Each engine's classifier on what its tools print. The live cases (a wrong password, a missing
 * database, a closed or silent port against the real servers) are in the engines' failure-codes
 * tests; these are the wordings the tools here do not print for us: other versions and tools, other
 * hosts, and failures after the connection was made, which must keep the operation's own code (null).
 */
function classifies(classify: FailureClassifier, cases: [stderr: string, code: DatabaseFailureCode | null][]): void {
  it.each(cases)("%s → %s", (stderr, code) => {
    expect(classify(stderr)?.code ?? null).toBe(code);
  });
}

describe("classifyPgFailure", () => {
  classifies(classifyPgFailure, [
    ['psql: FATAL:  password authentication failed for user "app"', "DATABASE_AUTH_FAILED"],
    ['pg_dump: error: connection to database "app" failed: FATAL:  no pg_hba.conf entry for host "10.0.0.5", user "app", database "app", no encryption', "DATABASE_AUTH_FAILED"],
    ['psql: error: connection to server at "db" (10.0.0.5), port 5432 failed: fe_sendauth: no password supplied', "DATABASE_AUTH_FAILED"],
    ['pg_dump: error: connection to server at "db" (10.0.0.5), port 5432 failed: FATAL:  permission denied for database "app"\nDETAIL:  User does not have CONNECT privilege.', "DATABASE_AUTH_FAILED"],
    ['pg_restore: error: connection to server at "db" (10.0.0.5), port 5432 failed: FATAL:  database "app" does not exist', "DATABASE_NOT_FOUND"],
    ['pg_dump: [archiver (db)] connection to database "app" failed: FATAL:  database "app" does not exist', "DATABASE_NOT_FOUND"],
    ['psql: could not connect to server: Connection refused\n\tIs the server running on host "db" (10.0.0.5) and accepting\n\tTCP/IP connections on port 5432?', "DATABASE_UNREACHABLE"],
    ['psql: error: could not translate host name "db.invalid" to address: Name or service not known', "DATABASE_UNREACHABLE"],
    ['psql: error: connection to server on socket "/run/postgresql/.s.PGSQL.5432" failed: No such file or directory', "DATABASE_UNREACHABLE"],
    ['pg_dump: error: connection to server at "db" (10.0.0.5), port 5432 failed: FATAL:  the database system is starting up', "DATABASE_UNREACHABLE"],
    ['psql:<stdin>:12: ERROR:  database "other" does not exist', null],
    ['psql:<stdin>:40: ERROR:  role "app_owner" does not exist', null],
    ['pg_dump: error: Dumping the contents of table "t" failed: PQgetResult() failed.\npg_dump: detail: Error message from server: server closed the connection unexpectedly', null],
    ['pg_restore: error: could not execute query: ERROR:  relation "t" already exists', null],
    ['psql: error: connection to server at "db" (10.0.0.5), port 5432 failed: SSL error: certificate verify failed', null],
    ['psql: error: connection to server at "db" (10.0.0.5), port 5432 failed: could not read root certificate file "/etc/ca.crt": No such file or directory', null],
  ]);

  it("a refused login on one address wins over a refused connection on another", () => {
    const stderr = [
      'psql: error: connection to server at "localhost" (::1), port 5432 failed: Connection refused',
      "\tIs the server running on that host and accepting TCP/IP connections?",
      'connection to server at "localhost" (127.0.0.1), port 5432 failed: FATAL:  password authentication failed for user "app"',
    ].join("\n");
    expect(classifyPgFailure(stderr)).toEqual({ code: "DATABASE_AUTH_FAILED", evidence: expect.stringContaining('password authentication failed for user "app"') });
  });
});

describe("classifyMysqlFailure", () => {
  classifies(classifyMysqlFailure, [
    ["mysqldump: Got error: 1045: Access denied for user 'app'@'10.0.0.5' (using password: YES) when trying to connect", "DATABASE_AUTH_FAILED"],
    ["ERROR 1130 (HY000): Host '10.0.0.5' is not allowed to connect to this MariaDB server", "DATABASE_AUTH_FAILED"],
    ["ERROR 1698 (28000): Access denied for user 'root'@'localhost'", "DATABASE_AUTH_FAILED"],
    ['mariadb-dump: Got error: 1049: "Unknown database \'app\'" when selecting the database', "DATABASE_NOT_FOUND"],
    ["ERROR 2013 (HY000): Lost connection to server at 'handshake: reading initial communication packet', system error: 110", "DATABASE_UNREACHABLE"],
    ["ERROR 2005 (HY000): Unknown server host 'db.invalid' (-2)", "DATABASE_UNREACHABLE"],
    ["mysqldump: Got error: 2003: Can't connect to MySQL server on '10.0.0.5:3306' (110) when trying to connect", "DATABASE_UNREACHABLE"],
    ["ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)", "DATABASE_UNREACHABLE"],
    ["ERROR 1049 (42000) at line 5: Unknown database 'other'", null],
    ["ERROR 2013 (HY000) at line 812: Lost connection to server during query", null],
    ["mariadb-dump: Error 2013: Lost connection to server during query when dumping table `t` at row: 1200", null],
    ["ERROR 2026 (HY000): TLS/SSL error: SSL is required, but the server does not support it", null],
  ]);
});

// As users report them (MongoDB Database Tools 100.x, Go driver): no MongoDB runs here.
describe("classifyMongoFailure", () => {
  const at = "2026-01-01T00:00:00.000+0000\t";
  classifies(classifyMongoFailure, [
    [
      `${at}Failed: can't create session: failed to connect to mongodb://db:27017/: connection() error occurred during connection handshake: auth error: sasl conversation error: unable to authenticate using mechanism "SCRAM-SHA-256": (AuthenticationFailed) Authentication failed.`,
      "DATABASE_AUTH_FAILED",
    ],
    [`${at}Failed: error creating intents to dump: error getting collections for database \`admin\`: (Unauthorized) not authorized on admin to execute command { listCollections: 1 }`, "DATABASE_AUTH_FAILED"],
    [
      `${at}Failed: can't create session: could not connect to server: server selection error: server selection timeout, current topology: { Type: Single, Servers: [{ Addr: 127.0.0.1:27017, Type: Unknown, Last error: dial tcp 127.0.0.1:27017: connect: connection refused }, ] }`,
      "DATABASE_UNREACHABLE",
    ],
    [
      `${at}Failed: can't create session: could not connect to server: server selection error: server selection timeout, current topology: { Type: ReplicaSetNoPrimary, Servers: [{ Addr: db:33205, Type: Unknown, Last error: connection() error occurred during connection handshake: dial tcp 10.0.0.106:33205: i/o timeout }, ] }`,
      "DATABASE_UNREACHABLE",
    ],
    [`${at}Failed: E11000 duplicate key error collection: shop.orders index: _id_`, null],
  ]);

  it("quotes the tool's line without its timestamp", () => {
    expect(classifyMongoFailure(`${at}Failed: (AuthenticationFailed) Authentication failed.`)?.evidence).toBe("Failed: (AuthenticationFailed) Authentication failed.");
  });
});

describe("fileFailureCode (SQLite, files)", () => {
  it.each([
    ["ENOENT", "DATABASE_NOT_FOUND"],
    ["ENOTDIR", "DATABASE_NOT_FOUND"],
    ["EACCES", "DATABASE_AUTH_FAILED"],
    ["EPERM", "DATABASE_AUTH_FAILED"],
    ["EIO", null],
    [undefined, null],
  ])("%s → %s", (errno, code) => {
    expect(fileFailureCode(errno)).toBe(code);
  });
});
