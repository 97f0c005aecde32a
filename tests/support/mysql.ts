import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";

/**
 * MariaDB on 127.0.0.1:3306, root without a password, as .ci/run sets it up (HOLDFAST_TEST_MYSQL_PORT
 * points elsewhere). The test's own trusted SQL goes through the `mariadb` client.
 */
export const MYSQL = { host: "127.0.0.1", port: Number(process.env.HOLDFAST_TEST_MYSQL_PORT ?? 3306), username: "root" } as const;

export function mysql(sql: string, database?: string): string {
  const args = ["-uroot", `--host=${MYSQL.host}`, `--port=${MYSQL.port}`, "--protocol=TCP", "--binary-mode", "--batch", "--skip-column-names", "--default-character-set=utf8mb4"];
  if (database !== undefined) args.push("--", database);
  try {
    return execFileSync("mariadb", args, { input: sql, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }).replace(/\n$/, "");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") throw new Error("The MySQL suites need MariaDB: apt-get install mariadb-server mariadb-client (then see .ci/run for the root@127.0.0.1 login)");
    throw err;
  }
}

export interface ScratchMysql {
  name: string;
  drop(): void;
}

export function createScratchMysql(prefix: string): ScratchMysql {
  const name = `${prefix}_${randomBytes(4).toString("hex")}`;
  mysql(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  return { name, drop: () => void mysql(`DROP DATABASE IF EXISTS \`${name}\``) };
}

/** What a restore must reproduce: every base table's rows (CHECKSUM TABLE and count), views, triggers and routines by name. */
export function snapshotMysql(database: string): Record<string, string> {
  const q = (sql: string) => mysql(sql, database);
  const snap: Record<string, string> = {};
  for (const table of q("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_type = 'BASE TABLE' ORDER BY 1").split("\n").filter(Boolean)) {
    const ident = `\`${table.replace(/`/g, "``")}\``;
    snap[`table ${table}`] = `${q(`SELECT COUNT(*) FROM ${ident}`)} rows, checksum ${q(`CHECKSUM TABLE ${ident} EXTENDED`).split("\t")[1]}`;
  }
  snap.views = q("SELECT GROUP_CONCAT(table_name ORDER BY table_name) FROM information_schema.views WHERE table_schema = DATABASE()");
  snap.triggers = q("SELECT GROUP_CONCAT(trigger_name ORDER BY trigger_name) FROM information_schema.triggers WHERE trigger_schema = DATABASE()");
  snap.routines = q("SELECT GROUP_CONCAT(routine_name ORDER BY routine_name) FROM information_schema.routines WHERE routine_schema = DATABASE()");
  return snap;
}
