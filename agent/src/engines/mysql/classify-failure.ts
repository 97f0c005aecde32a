import type { DatabaseFailure, DatabaseFailureCode } from "../failure-codes.js";

/**
 * Where the MySQL/MariaDB tools say a connection failed, with the server's or the client library's
 * error number: the client's `ERROR 1045 (28000): ...` (an error of a statement fed on stdin says
 * `at line N` and is not read), the dump tools' `Got error: 1049: ... when selecting the database`.
 */
const CONNECT_FAILED = [/^ERROR (\d{4}) \([0-9A-Z]{5}\): /, /Got error: (\d{4}): .* when (?:trying to connect|selecting the database)/];

/**
 * 1045 access denied (wrong password, unknown user), 1044 access denied to that database (the server
 * answers it for a database the user may not see, existing or not), 1698 access denied to a socket
 * login, 1130 host not allowed, 1862 password expired; 1049 unknown database; 2002/2003 cannot connect
 * (socket, TCP: refused, timed out), 2005 unknown host, 2013 connection lost during the handshake.
 */
const CODES: Record<string, DatabaseFailureCode> = {
  "1045": "DATABASE_AUTH_FAILED",
  "1044": "DATABASE_AUTH_FAILED",
  "1698": "DATABASE_AUTH_FAILED",
  "1130": "DATABASE_AUTH_FAILED",
  "1862": "DATABASE_AUTH_FAILED",
  "1049": "DATABASE_NOT_FOUND",
  "2002": "DATABASE_UNREACHABLE",
  "2003": "DATABASE_UNREACHABLE",
  "2005": "DATABASE_UNREACHABLE",
  "2013": "DATABASE_UNREACHABLE",
};

/** MySQL/MariaDB's one classifier: the error number of a failed connection, read from a tool's stderr (client or dump tool). */
export function classifyMysqlFailure(stderr: string): DatabaseFailure | null {
  for (const raw of stderr.split("\n")) {
    const line = raw.trim();
    for (const pattern of CONNECT_FAILED) {
      const code = CODES[pattern.exec(line)?.[1] ?? ""];
      if (code) return { code, evidence: line.replace(/^[\w.-]+: /, "") };
    }
  }
  return null;
}
