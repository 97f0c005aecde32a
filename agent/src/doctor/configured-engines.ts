import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { Engine } from "@holdfast/shared/protocol";
import { DB_FILE } from "../store/store.js";

/**
 * The engines of the datasources this agent holds, read from its store read-only: doctor must not
 * migrate, lock or repair the store of an agent that may be running. Null when there is no store yet.
 */
export function configuredEngines(dataDir: string): Engine[] | null {
  const file = path.join(dataDir, DB_FILE);
  if (!fs.existsSync(file)) return null;
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 2000 });
  try {
    const rows = db.prepare("SELECT DISTINCT engine FROM datasources WHERE deleted_at IS NULL ORDER BY engine").pluck().all() as string[];
    return rows.flatMap((e) => {
      const parsed = Engine.safeParse(e);
      return parsed.success ? [parsed.data] : [];
    });
  } finally {
    db.close();
  }
}
