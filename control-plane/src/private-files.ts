import { closeSync, mkdirSync, openSync } from "node:fs";
import { chmod, stat } from "node:fs/promises";
import type { Env } from "./env.js";
import type { Logger } from "./logger.js";

/*
 * The data dir holds the database (password and token hashes, sealed credentials), the master key
 * and the spool (backups waiting for their destinations): nobody but the control plane's user may
 * read any of it. Everything is created private; at start-up what someone loosened since is named
 * in one warning. The database files are tightened back as well: they are Holdfast's alone (nothing
 * else may safely read a live SQLite file), and versions before this one created them 0644, so an
 * upgraded installation is fixed without waiting for someone to read a log. Folders are only named:
 * HOLDFAST_DATA_DIR and HOLDFAST_SPOOL_DIR may be folders the operator made and manages (a mount
 * point, a shared parent), and what Holdfast writes in them is 0600 anyway.
 */

const GROUP_OR_OTHERS = 0o077;

/** A folder only this user may enter, created with any missing parents (which get the same mode). */
export function makePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
}

/**
 * Creates the file empty and 0600 when it does not exist yet; an existing file is not touched.
 * SQLite then opens it, and creates its -wal and -shm files with the database file's mode.
 */
export function createPrivateFile(path: string): void {
  closeSync(openSync(path, "a", 0o600));
}

export interface LooseEntry {
  path: string;
  /** The permission bits found, octal: "755". */
  mode: string;
  /** Set when the control plane took group and others' access away itself. */
  tightenedTo?: string;
}

const octal = (mode: number) => (mode & 0o777).toString(8);

/** The paths of `env` whose group or others have any access; `tighten` ones lose it when this user owns them. */
export async function findLoose(items: Array<{ path: string; tighten: boolean }>): Promise<LooseEntry[]> {
  const loose: LooseEntry[] = [];
  for (const { path, tighten } of items) {
    const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return undefined;
      throw err;
    });
    if (!info || (info.mode & GROUP_OR_OTHERS) === 0) continue;
    const entry: LooseEntry = { path, mode: octal(info.mode) };
    if (tighten && info.uid === process.getuid?.()) {
      const to = info.mode & 0o700;
      await chmod(path, to);
      entry.tightenedTo = octal(to);
    }
    loose.push(entry);
  }
  return loose;
}

/**
 * The start-up check: the data dir, the spool and (on SQLite) the database files. Logs one warning
 * naming every path others may read, what was tightened and what to run for the rest.
 */
export async function checkPrivateModes(env: Pick<Env, "dataDir" | "spoolDir" | "sqlitePath">, sqlite: boolean, log: Logger): Promise<LooseEntry[]> {
  if (process.platform === "win32") return [];
  const databaseFiles = sqlite ? [env.sqlitePath, `${env.sqlitePath}-wal`, `${env.sqlitePath}-shm`] : [];
  const loose = await findLoose([
    { path: env.dataDir, tighten: false },
    { path: env.spoolDir, tighten: false },
    ...databaseFiles.map((path) => ({ path, tighten: true })),
  ]);
  if (loose.length === 0) return loose;
  const said = loose.map((l) => (l.tightenedTo ? `${l.path} was ${l.mode}, now ${l.tightenedTo}` : `${l.path} is ${l.mode} (chmod go= ${l.path})`));
  log.warn({ loose }, `other users may read the control plane's data: ${said.join("; ")}`);
  return loose;
}
