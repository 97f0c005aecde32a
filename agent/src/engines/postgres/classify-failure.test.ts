import { describe, expect, it } from "vitest";
import { classifyPgFailure } from "./classify-failure.js";

// The live cases (a wrong password, a missing database, a closed or silent port) are in
// failure-codes.test.ts; these are the wordings the tools here do not print: other versions, other
// tools, failures after the connection was made.
describe("classifyPgFailure", () => {
  it.each([
    ['psql: FATAL:  password authentication failed for user "app"', "DATABASE_AUTH_FAILED"],
    ['pg_dump: error: connection to database "app" failed: FATAL:  no pg_hba.conf entry for host "10.0.0.5", user "app", database "app", no encryption', "DATABASE_AUTH_FAILED"],
    ["psql: error: connection to server at \"db\" (10.0.0.5), port 5432 failed: fe_sendauth: no password supplied", "DATABASE_AUTH_FAILED"],
    ['pg_dump: error: connection to server at "db" (10.0.0.5), port 5432 failed: FATAL:  permission denied for database "app"\nDETAIL:  User does not have CONNECT privilege.', "DATABASE_AUTH_FAILED"],
    ['pg_restore: error: connection to server at "db" (10.0.0.5), port 5432 failed: FATAL:  database "app" does not exist', "DATABASE_NOT_FOUND"],
    ['pg_dump: [archiver (db)] connection to database "app" failed: FATAL:  database "app" does not exist', "DATABASE_NOT_FOUND"],
    ['psql: could not connect to server: Connection refused\n\tIs the server running on host "db" (10.0.0.5) and accepting\n\tTCP/IP connections on port 5432?', "DATABASE_UNREACHABLE"],
    ['psql: error: could not translate host name "db.invalid" to address: Name or service not known', "DATABASE_UNREACHABLE"],
    ['psql: error: connection to server on socket "/run/postgresql/.s.PGSQL.5432" failed: No such file or directory', "DATABASE_UNREACHABLE"],
    ['pg_dump: error: connection to server at "db" (10.0.0.5), port 5432 failed: FATAL:  the database system is starting up', "DATABASE_UNREACHABLE"],
  ])("%s", (stderr, code) => {
    expect(classifyPgFailure(stderr)?.code).toBe(code);
  });

  it("a refused login on one address wins over a refused connection on another", () => {
    const stderr = [
      'psql: error: connection to server at "localhost" (::1), port 5432 failed: Connection refused',
      "\tIs the server running on that host and accepting TCP/IP connections?",
      'connection to server at "localhost" (127.0.0.1), port 5432 failed: FATAL:  password authentication failed for user "app"',
    ].join("\n");
    expect(classifyPgFailure(stderr)).toEqual({ code: "DATABASE_AUTH_FAILED", evidence: expect.stringContaining('password authentication failed for user "app"') });
  });

  it("reads nothing into errors after the connection was made (a restore's SQL, a dump that lost its server)", () => {
    expect(classifyPgFailure('psql:<stdin>:12: ERROR:  database "other" does not exist')).toBeNull();
    expect(classifyPgFailure('psql:<stdin>:40: ERROR:  role "app_owner" does not exist')).toBeNull();
    expect(classifyPgFailure('pg_dump: error: Dumping the contents of table "t" failed: PQgetResult() failed.\npg_dump: detail: Error message from server: server closed the connection unexpectedly')).toBeNull();
    expect(classifyPgFailure("pg_restore: error: could not execute query: ERROR:  relation \"t\" already exists")).toBeNull();
  });
});
