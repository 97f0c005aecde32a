import fs from "node:fs";
import path from "node:path";
import { IDENTITY_FILE } from "../identity/identity-file.js";
import { PRIVATE_KEY_FILE } from "../identity/keys.js";
import { SECRET_KEY_FILE } from "./secret-box.js";
import { DB_FILE } from "./store.js";

/** The agent's files in its data dir: the database (with SQLite's WAL and shared-memory files), its keys, its identity. */
export const PRIVATE_FILES = [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`, PRIVATE_KEY_FILE, SECRET_KEY_FILE, IDENTITY_FILE] as const;

export interface LoosenedEntry {
  path: string;
  /** The mode found, in octal (`"755"`). */
  found: string;
  /** The mode it must have and now has (`"700"` for the dir, `"600"` for files). */
  required: string;
  /** False when chmod was refused (a file of another user): the warning says it is still open. */
  tightened: boolean;
}

/**
 * Start-up check of the data dir (0700) and the agent's files in it (0600): anything others may read
 * (someone ran chmod, or copied the dir) is tightened back and reported, for one warning in the log.
 * Tightened rather than only reported: the database holds the datasources' sealed passwords and the
 * run history, the keys are the agent's identity, and an agent that stopped backing up over a mode
 * would fail the operator twice. A missing dir or file is no finding: it is created private.
 */
export function tightenDataDir(dataDir: string): LoosenedEntry[] {
  const found: LoosenedEntry[] = [];
  const check = (p: string, required: number) => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return;
    }
    // A symlink is not followed (chmod would change its target); the dir itself is refused by ensurePrivateDir.
    if (st.isSymbolicLink()) return;
    const mode = st.mode & 0o777;
    if ((mode & ~required) === 0) return;
    let tightened = true;
    try {
      fs.chmodSync(p, required);
    } catch {
      tightened = false;
    }
    found.push({ path: p, found: mode.toString(8), required: required.toString(8), tightened });
  };
  check(dataDir, 0o700);
  for (const name of PRIVATE_FILES) check(path.join(dataDir, name), 0o600);
  return found;
}
