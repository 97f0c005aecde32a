import type { PostgresConnection } from "@holdfast/shared/protocol";

/**
 * libpq keyword/value quoting: the value in single quotes, `\` and `'` escaped with a backslash.
 * Whatever a name contains (`x' host=evil`, spaces, `--file=`) stays one inert value.
 */
export function quoteConninfoValue(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * The connection string for `--dbname=`; never holds the password (that travels in PGPASSFILE).
 * TLS settings map one to one onto libpq's sslmode/sslrootcert; without them libpq's own default
 * (`prefer`) applies, as it would for psql.
 */
export function buildConninfo(connection: Omit<PostgresConnection, "password" | "passwordFile">): string {
  const parts = [
    `host=${quoteConninfoValue(connection.host)}`,
    `port=${quoteConninfoValue(String(connection.port))}`,
    `dbname=${quoteConninfoValue(connection.database)}`,
    `user=${quoteConninfoValue(connection.username)}`,
  ];
  if (connection.tls) parts.push(`sslmode=${quoteConninfoValue(connection.tls.mode)}`);
  if (connection.tls?.caFile) parts.push(`sslrootcert=${quoteConninfoValue(connection.tls.caFile)}`);
  return parts.join(" ");
}

/**
 * One .pgpass line matching any host/port/db/user: the file is private to this one run, so the
 * wildcards cannot hand the password to another server. `\` and `:` are escaped as libpq expects.
 */
export function formatPassfileLine(password: string): string {
  if (/[\r\n]/.test(password)) throw new Error("a password with a line break cannot be passed through a passfile");
  return `*:*:*:*:${escapePassfileValue(password)}\n`;
}

/** A passfile field: `\` and `:` escaped with a backslash. */
export function escapePassfileValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/:/g, "\\:");
}
