import fs from "node:fs";
import path from "node:path";
import { spawnTool } from "../spawn-tool.js";

/** Which family the client tools come from: their TLS flags differ (`--ssl` vs `--ssl-mode=`). */
export type MysqlFlavor = "mariadb" | "mysql";

/** The dump tool and the SQL client, as found on PATH (or given explicitly). */
export interface MysqlToolPaths {
  dump: string;
  client: string;
}

/**
 * A minimal environment: nothing of the agent's own (tokens, HOLDFAST_*) reaches a tool, nor the
 * client's own variables (MYSQL_PWD, MYSQL_HOST, MYSQL_TCP_PORT), nor HOME: without it the tools
 * skip ~/.my.cnf, which they would otherwise read after our options file and let override it.
 */
export function mysqlChildEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", LANG: "C.UTF-8", LC_ALL: "C.UTF-8" };
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

/** The tool's `--version` line, or null when it is not installed (or does not answer). */
export async function toolVersionLine(bin: string): Promise<string | null> {
  let out = "";
  try {
    const tool = spawnTool(path.basename(bin), bin, ["--version"], mysqlChildEnv());
    tool.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    const exit = await tool.exited;
    return exit.code === 0 && out.trim() !== "" ? out.trim().split("\n")[0]! : null;
  } catch {
    return null;
  }
}

/**
 * Whether the client has `--sandbox` (MariaDB 10.5.25, 10.6.18, 10.11.8, 11.x and later): it refuses
 * every client command that touches the file system or a shell. `--binary-mode` already makes the
 * client ignore `\` commands in piped input; the sandbox is a second lock where the client has it.
 */
export async function clientHasSandbox(client: string): Promise<boolean> {
  let out = "";
  try {
    const tool = spawnTool(path.basename(client), client, ["--help"], mysqlChildEnv());
    tool.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
    const exit = await tool.exited;
    return exit.code === 0 && /^\s*--sandbox\b/m.test(out);
  } catch {
    return false;
  }
}
