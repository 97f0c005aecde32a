import { execFileSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import postgres from "postgres";
import { PG_ADMIN_URL } from "./postgres.js";

async function reachable(): Promise<boolean> {
  const sql = postgres(PG_ADMIN_URL, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

function have(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", 'command -v "$1"', "sh", tool], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Makes sure the real parts the suites need are here, starting a stopped local PostgreSQL if it can. */
export default async function setup(): Promise<void> {
  const missing = ["pg_dump", "psql"].filter((t) => !have(t));
  if (missing.length > 0) {
    throw new Error(`The end-to-end suites need ${missing.join(", ")}: apt-get install postgresql postgresql-client (or run bash .ci/run)`);
  }
  if (await reachable()) return;
  if (!process.env.HOLDFAST_TEST_PG_URL && existsSync("/etc/postgresql")) {
    for (const version of readdirSync("/etc/postgresql")) {
      try {
        execFileSync("pg_ctlcluster", ["--skip-systemctl-redirect", version, "main", "start"], { stdio: "inherit" });
      } catch {
        // Already running or not startable here; the check below says what to do.
      }
    }
    if (await reachable()) return;
  }
  throw new Error(
    `PostgreSQL is not reachable at ${PG_ADMIN_URL}. Start it (pg_ctlcluster --skip-systemctl-redirect 15 main start), ` +
      "install it (apt-get install postgresql), or point HOLDFAST_TEST_PG_URL at a server where that user may create databases.",
  );
}
