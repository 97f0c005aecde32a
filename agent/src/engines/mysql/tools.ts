import fs from "node:fs";
import path from "node:path";
import { toolOutput } from "../tool-version.js";

/** Which family the client tools come from: their TLS flags differ (`--ssl` vs `--ssl-mode=`). */
export type MysqlFlavor = "mariadb" | "mysql";

/** The dump tool and the SQL client, as found on PATH (or given explicitly). */
export interface MysqlToolPaths {
  dump: string;
  client: string;
}

function onPath(name: string): boolean {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    try {
      fs.accessSync(path.join(dir, name), fs.constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/**
 * The MariaDB-named tools first (`mariadb-dump`, `mariadb`), else the MySQL names (`mysqldump`,
 * `mysql`, which on MariaDB installs are symlinks and on Oracle's are the real tools). Looked up at
 * every call, so a client installed after the agent started is found; when neither exists the
 * MariaDB name is returned and spawning it answers TOOL_NOT_FOUND.
 */
export function resolveMysqlTools(explicit: Partial<MysqlToolPaths> = {}): MysqlToolPaths {
  return {
    dump: explicit.dump ?? (onPath("mariadb-dump") || !onPath("mysqldump") ? "mariadb-dump" : "mysqldump"),
    client: explicit.client ?? (onPath("mariadb") || !onPath("mysql") ? "mariadb" : "mysql"),
  };
}

/** `mariadb-dump  Ver 10.19 Distrib 10.11.19-MariaDB, ...` is MariaDB; `mysqldump  Ver 8.0.36 for Linux ...` is MySQL. */
export function flavorOf(versionLine: string): MysqlFlavor {
  return /mariadb/i.test(versionLine) ? "mariadb" : "mysql";
}

/**
 * Whether the client has `--sandbox` (MariaDB 10.5.25, 10.6.18, 10.11.8, 11.x and later): it refuses
 * every client command that touches the file system or a shell. `--binary-mode` already makes the
 * client ignore `\` commands in piped input; the sandbox is a second lock where the client has it.
 */
export async function clientHasSandbox(client: string): Promise<boolean> {
  return /^\s*--sandbox\b/m.test((await toolOutput(client, ["--help"])) ?? "");
}
