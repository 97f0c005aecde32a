import type { DatabaseFailure, DatabaseFailureCode } from "../failure-codes.js";

/**
 * A line where libpq (psql, pg_dump, pg_dumpall, pg_restore, any version) says the connection itself
 * failed. Only such lines are read: once connected, an error (`psql:<stdin>:12: ERROR: ...`, a
 * connection lost mid-dump) is the operation's own failure, whatever its words.
 */
const CONNECT_FAILED =
  /connection to server\b.* failed:|could not connect to server|connection to database ".*" failed|could not translate host name|^[\w.-]+: (?:error: )?FATAL:/;

/** In order: a server that got as far as refusing the login says more than one that could not be reached. */
const CAUSES: [DatabaseFailureCode, RegExp][] = [
  // 28P01 invalid_password, 28000 invalid_authorization_specification (a role that does not exist,
  // no pg_hba.conf line for it), 42501 no CONNECT privilege, and libpq's own "no password supplied".
  ["DATABASE_AUTH_FAILED", /authentication failed|\brole ".*" does not exist|no pg_hba\.conf entry|pg_hba\.conf rejects|permission denied for database|no password supplied|\b28P01\b|\b28000\b/i],
  // 3D000 invalid_catalog_name.
  ["DATABASE_NOT_FOUND", /\bdatabase ".*" does not exist|\b3D000\b/],
  // libpq's socket errors (a Unix socket that is not there), its connect_timeout, DNS, and a server
  // that is not accepting yet (57P03).
  [
    "DATABASE_UNREACHABLE",
    /Connection refused|timeout expired|Connection timed out|could not translate host name|No route to host|Network is unreachable|Connection reset by peer|server closed the connection unexpectedly|socket ".*" failed: No such file or directory|the database system is (?:starting up|shutting down|in recovery mode|not yet accepting connections)|\b57P03\b/i,
  ],
];

/**
 * PostgreSQL's one classifier: why libpq could not connect, read from a tool's stderr. libpq's own
 * messages are English (the tools run in the C locale); the server's (a refused password, a missing
 * database) come in its `lc_messages`, so a server set to another language is not recognised and the
 * failure keeps the operation's code.
 */
export function classifyPgFailure(stderr: string): DatabaseFailure | null {
  const candidates = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => CONNECT_FAILED.test(l));
  for (const [code, cause] of CAUSES) {
    const line = candidates.find((l) => cause.test(l));
    if (line) return { code, evidence: line.replace(/^[\w.-]+: (?:error: )?/, "") };
  }
  return null;
}
