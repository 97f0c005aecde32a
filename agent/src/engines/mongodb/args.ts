import type { MongoConnection, TlsSettings } from "@holdfast/shared/protocol";

type Endpoint = Omit<MongoConnection, "password" | "passwordFile">;

/**
 * TLS in libpq's words, for the MongoDB Database Tools (`--ssl*` flags, 100.x). The tools either
 * speak TLS or not, they cannot fall back, so `prefer` (which promises no encryption) connects
 * without it, like `disable`. `require` encrypts without checking the certificate, unless a
 * `caFile` is given (then the CA is checked, as libpq does); `verify-ca` checks the CA but not the
 * host name; `verify-full` both.
 */
export function buildMongoTlsArgs(tls: TlsSettings | undefined): string[] {
  if (!tls || tls.mode === "disable" || tls.mode === "prefer") return [];
  const ca = tls.caFile ? [`--sslCAFile=${tls.caFile}`] : [];
  if (tls.mode === "require" && !tls.caFile) return ["--ssl", "--sslAllowInvalidCertificates"];
  if (tls.mode === "verify-full") return ["--ssl", ...ca];
  return ["--ssl", ...ca, "--sslAllowInvalidHostnames"];
}

/**
 * `--config` first when there is a password (the only secret, kept in the 0600 file), then where
 * and as whom to connect. Every value is one argv element after `=`; the schema refuses a leading
 * `-`, whitespace and control characters in them. A host that is an absolute path is a unix socket.
 */
export function buildMongoConnectionArgs(configFile: string | null, c: Endpoint): string[] {
  const args = configFile ? [`--config=${configFile}`] : [];
  args.push(`--host=${c.host}`);
  if (!c.host.startsWith("/")) args.push(`--port=${c.port}`);
  if (c.username !== undefined) args.push(`--username=${c.username}`);
  if (c.authDatabase !== undefined) args.push(`--authenticationDatabase=${c.authDatabase}`);
  return [...args, ...buildMongoTlsArgs(c.tls)];
}

/** `mongodump --archive` to stdout: one database when the connection names one, else every database the user can read. */
export function buildMongodumpArgs(configFile: string | null, c: Endpoint): string[] {
  return [...buildMongoConnectionArgs(configFile, c), ...(c.database !== undefined ? [`--db=${c.database}`] : []), "--archive"];
}

/** A literal name inside a mongorestore namespace pattern: `*` and `\` are escaped with a backslash. */
export function escapeNamespace(name: string): string {
  return name.replace(/[\\*]/g, (ch) => `\\${ch}`);
}

/**
 * `mongorestore --archive` from stdin, stopping at the first error. `drop` (overwrite) drops each
 * collection before restoring it. `rename` moves the archive's one database onto the target's.
 */
export function buildMongorestoreArgs(configFile: string | null, target: Endpoint, opts: { drop: boolean; rename?: { from: string; to: string } }): string[] {
  const args = [...buildMongoConnectionArgs(configFile, target), "--archive", "--stopOnError"];
  if (opts.drop) args.push("--drop");
  if (opts.rename) {
    args.push(`--nsInclude=${escapeNamespace(opts.rename.from)}.*`, `--nsFrom=${escapeNamespace(opts.rename.from)}.*`, `--nsTo=${escapeNamespace(opts.rename.to)}.*`);
  } else if (target.database !== undefined) {
    args.push(`--nsInclude=${escapeNamespace(target.database)}.*`);
  }
  return args;
}
