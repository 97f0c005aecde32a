import type { Engine as EngineName } from "@holdfast/shared/protocol";
import type { EngineRegistry } from "../engines/types.js";
import type { Finding } from "./finding.js";

/** What to install where a configured engine's dump tool is missing (Debian/Ubuntu package names). */
const INSTALL_HINT: Record<EngineName, string> = {
  postgres: "install the PostgreSQL client tools of the server's major or newer (apt-get install postgresql-client)",
  mysql: "install the MariaDB or MySQL client tools (apt-get install mariadb-client)",
  mongodb: "install the MongoDB database tools (mongodb-database-tools, from MongoDB's repository)",
  sqlite: "nothing to install: SQLite is built into the agent",
  files: "nothing to install: files are read by the agent itself",
};

/**
 * The dump tool and its version for each engine a datasource uses, asked of the engines themselves
 * (the same detection the capabilities command reports), so doctor and the console never disagree.
 */
export async function checkDumpTools(engines: EngineRegistry, configured: EngineName[] | null): Promise<Finding[]> {
  if (configured === null || configured.length === 0) {
    return [{ check: "dump-tools", status: "skip", summary: "no datasource configured on this agent yet: no dump tool needed" }];
  }
  return Promise.all(
    configured.map(async (name): Promise<Finding> => {
      const engine = engines[name];
      if (!engine) return { check: "dump-tools", status: "fail", summary: `${name}: this agent build has no ${name} engine`, fix: "upgrade the agent (holdfast-agent upgrade)" };
      const version = await engine.toolVersion();
      if (version === null) return { check: "dump-tools", status: "fail", summary: `${name}: dump tool not found on PATH`, fix: INSTALL_HINT[name] };
      return { check: "dump-tools", status: "ok", summary: `${name}: ${version}` };
    }),
  );
}
