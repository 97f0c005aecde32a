import type { MysqlConnection, ResolvedBackupOptions, TlsSettings } from "@holdfast/shared/protocol";
import type { MysqlFlavor } from "./tools.js";

type Endpoint = Omit<MysqlConnection, "password" | "passwordFile">;

/**
 * TLS in libpq's words, mapped onto each client family, never weaker than asked:
 * - MariaDB clients (10.x) have no "TLS required but unverified" switch: `--ssl` alone quietly falls
 *   back to plaintext when the server offers no TLS. So `require` is enforced the only way they allow,
 *   `--ssl-verify-server-cert` (which also checks the certificate: give `caFile` for a private CA),
 *   and `verify-ca` is checked as `verify-full` (these clients always check the host name too).
 *   `prefer` is `--ssl` without verification; `disable` is `--skip-ssl`.
 * - MySQL's clients take `--ssl-mode=` with the same five levels; `require` with a `caFile` verifies
 *   the CA, as libpq does.
 * No TLS settings: nothing is passed and the client's own default applies (as psql's `prefer`).
 */
export function buildTlsArgs(tls: TlsSettings | undefined, flavor: MysqlFlavor): string[] {
  if (!tls) return [];
  const ca = tls.caFile ? [`--ssl-ca=${tls.caFile}`] : [];
  if (flavor === "mysql") {
    const mode = { disable: "DISABLED", prefer: "PREFERRED", require: tls.caFile ? "VERIFY_CA" : "REQUIRED", "verify-ca": "VERIFY_CA", "verify-full": "VERIFY_IDENTITY" }[tls.mode];
    return [`--ssl-mode=${mode}`, ...ca];
  }
  switch (tls.mode) {
    case "disable":
      return ["--skip-ssl"];
    case "prefer":
      return ["--ssl", "--skip-ssl-verify-server-cert", ...ca];
    default:
      return ["--ssl", "--ssl-verify-server-cert", ...ca];
  }
}

/**
 * `--defaults-extra-file` first (the tools only honour it there), then where to connect. A host that
 * is an absolute path is a unix socket; anything else goes over TCP with `--protocol=TCP`, so
 * `localhost` never silently means the local socket of some other server. Each value is one argv
 * element after `=`: the schema already refuses a leading `-`, whitespace and control characters.
 */
export function buildConnectionArgs(optionsFile: string, c: Endpoint, flavor: MysqlFlavor): string[] {
  const where = c.host.startsWith("/") ? ["--protocol=SOCKET", `--socket=${c.host}`] : ["--protocol=TCP", `--host=${c.host}`, `--port=${c.port}`];
  return [`--defaults-extra-file=${optionsFile}`, ...where, `--user=${c.username}`, ...buildTlsArgs(c.tls, flavor)];
}

/** The tables a dump takes: all (`only` empty) minus `ignore`, or exactly `only`. Plain names, resolved by tables.ts. */
export interface TableSelection {
  only: string[];
  ignore: string[];
}

/**
 * mariadb-dump / mysqldump of one database as plain SQL: one consistent InnoDB snapshot, routines,
 * triggers and events, binary columns as hex (the text stays valid UTF-8), comments and SET NAMES
 * forced on so the `-- Dump completed` trailer and the charset are written whatever the host's
 * /etc/mysql/my.cnf says (the tools still read it; ~/.my.cnf is not read: the tools get no HOME). The database and the
 * tables come after `--`: whatever they are called, they are names, never options.
 */
export function buildDumpArgs(optionsFile: string, c: Endpoint, flavor: MysqlFlavor, options?: ResolvedBackupOptions, tables: TableSelection = { only: [], ignore: [] }): string[] {
  const args = [
    ...buildConnectionArgs(optionsFile, c, flavor),
    "--single-transaction",
    "--hex-blob",
    "--default-character-set=utf8mb4",
    "--comments",
    "--set-charset",
    // Tablespaces need the PROCESS privilege on MySQL 8 and are not the database's business.
    "--no-tablespaces",
    "--max-allowed-packet=1G",
  ];
  // MySQL's mysqldump would otherwise write SET @@GLOBAL.GTID_PURGED, which fails on another server.
  if (flavor === "mysql") args.push("--set-gtid-purged=OFF");
  if (options?.dataOnly) args.push("--no-create-info", "--skip-triggers");
  else args.push("--routines", "--triggers", "--events");
  if (options?.schemaOnly) args.push("--no-data");
  for (const t of tables.ignore) args.push(`--ignore-table=${c.database}.${t}`);
  args.push("--", c.database, ...tables.only);
  return args;
}

/**
 * The SQL client fed a dump (or our own statements) on stdin. `--binary-mode` makes it pass `\`
 * sequences and `system`/`source` words to the server as SQL instead of running them as client
 * commands (only DELIMITER and `\C` stay), `--sandbox` (when the client has it) refuses file and
 * shell commands outright, `--local-infile=0` stops `LOAD DATA LOCAL` from reading this host's files.
 * It stops at the first error (no `--force`).
 */
export function buildClientArgs(optionsFile: string, c: Endpoint, flavor: MysqlFlavor, opts: { sandbox: boolean; database: string | null }): string[] {
  const args = [
    ...buildConnectionArgs(optionsFile, c, flavor),
    "--binary-mode",
    ...(opts.sandbox ? ["--sandbox"] : []),
    "--batch",
    "--skip-column-names",
    "--local-infile=0",
    "--default-character-set=utf8mb4",
    "--max-allowed-packet=1G",
    "--connect-timeout=10",
  ];
  if (opts.database !== null) args.push("--", opts.database);
  return args;
}
