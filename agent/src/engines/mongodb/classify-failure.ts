import type { DatabaseFailure, DatabaseFailureCode } from "../failure-codes.js";

/**
 * In order: a login refused says more than the server selection that reports it. The MongoDB
 * Database Tools (Go driver) print one `Failed: ...` line holding the driver's chain of causes:
 * `(AuthenticationFailed) Authentication failed.` (server error 18), `(Unauthorized) not authorized
 * on <db>` (13: the user may not read it), or the topology's `Last error: ... connection refused`,
 * `i/o timeout`, `no such host` once server selection gave up.
 */
const CAUSES: [DatabaseFailureCode, RegExp][] = [
  ["DATABASE_AUTH_FAILED", /\(AuthenticationFailed\)|auth(?:entication)? error|sasl conversation error|unable to authenticate|\(Unauthorized\)|not authorized on/i],
  [
    "DATABASE_UNREACHABLE",
    /server selection (?:error|timeout)|no reachable servers|connection refused|i\/o timeout|no such host|network is unreachable|no route to host|connection reset by peer|context deadline exceeded/i,
  ],
];

/**
 * MongoDB's one classifier, read from mongodump's or mongorestore's stderr. There is no
 * DATABASE_NOT_FOUND: MongoDB creates a database on first write and dumps a missing one as empty.
 */
export function classifyMongoFailure(stderr: string): DatabaseFailure | null {
  const lines = stderr
    .split("\n")
    .map((l) => l.replace(/^\S+\t/, "").trim())
    .filter(Boolean);
  for (const [code, cause] of CAUSES) {
    const line = lines.find((l) => cause.test(l));
    if (line) return { code, evidence: line };
  }
  return null;
}
