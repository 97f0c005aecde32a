import fs from "node:fs";
import path from "node:path";
import { HoldfastError } from "@holdfast/shared/protocol";
import type { AgentStore } from "../store/store.js";
import { requireDatasource } from "../store/datasources.js";
import { type Access, AGENT_UNIT, dropInFor, isHiddenByProtectHome, RELOAD_COMMANDS } from "./allow-path-dropin.js";
import { groupName, groupsFor } from "./path-groups.js";

/** The file-system path a datasource (or restore target) needs, and how. Only SQLite and files have one. */
export interface PathScope {
  engine: "sqlite" | "files";
  /** The path to allow: a SQLite file's folder (its -wal/-shm and a restore's new file live there), a files datasource's folder. */
  allow: string;
  access: Access;
}

/** The scope of a stored datasource, or null (another engine, or the datasource is gone). */
export function datasourceScope(store: AgentStore, datasourceId: string, access: Access): PathScope | null {
  try {
    const ds = requireDatasource(store, datasourceId);
    const p = (ds.connection as { path?: unknown }).path;
    if (typeof p !== "string" || !path.isAbsolute(p)) return null;
    if (ds.engine === "sqlite") return { engine: "sqlite", allow: path.dirname(p), access };
    if (ds.engine === "files") return { engine: "files", allow: p, access };
    return null;
  } catch {
    return null;
  }
}

/** The errno behind an engine's error: details.cause, SQLite's code mapped to the errno it stands for, or the error's own. */
function errnoOf(err: unknown): string | undefined {
  const details = err instanceof HoldfastError ? err.details : undefined;
  const raw = [details?.cause, details?.sqliteCode, (err as NodeJS.ErrnoException)?.code].find((c): c is string => typeof c === "string");
  if (raw?.startsWith("SQLITE_READONLY")) return "EROFS";
  if (raw?.startsWith("SQLITE_CANTOPEN") || raw?.startsWith("SQLITE_PERM")) return "EACCES";
  return raw;
}

export interface DenialEnv {
  env?: NodeJS.ProcessEnv;
  uid?: number;
  gids?: readonly number[];
  etcDir?: string;
  stat?: (p: string) => fs.Stats;
  /** Whether `dir` is on a file system mounted read-only (for this process). */
  readOnlyMount?: (dir: string) => boolean;
}

/** access(2) answers EROFS for W_OK on a read-only mount, whoever asks (root included). */
function isReadOnlyMount(dir: string): boolean {
  try {
    fs.accessSync(dir, fs.constants.W_OK);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EROFS";
  }
}

/**
 * When the agent runs under systemd (INVOCATION_ID) and `err` is the sandbox (or a group the agent's
 * user lacks) refusing the datasource's path, PATH_NOT_ALLOWED naming the exact drop-in and the
 * allow-path command; any other error comes back unchanged. The original code stays in
 * details.originalCode, so nothing the engine found is lost.
 */
export function explainPathDenial(err: unknown, scope: PathScope | null, opts: DenialEnv = {}): unknown {
  const env = opts.env ?? process.env;
  if (!scope || !env.INVOCATION_ID || (err instanceof HoldfastError && err.code === "PATH_NOT_ALLOWED")) return err;
  const errno = errnoOf(err);
  if (!errno || !["EROFS", "EACCES", "EPERM", "ENOENT"].includes(errno)) return err;
  const hidden = isHiddenByProtectHome(scope.allow);
  // Reading a WAL-mode database creates its -shm (and -wal) beside it: in a read-only folder SQLite
  // cannot open it at all (SQLITE_CANTOPEN), so a backup needs that folder writable.
  const walNeedsWrite =
    scope.engine === "sqlite" && scope.access === "read" && !hidden && (errno === "EACCES" || errno === "EROFS") && (opts.readOnlyMount ?? isReadOnlyMount)(scope.allow);
  const access: Access = walNeedsWrite ? "write" : scope.access;
  const readOnly = (access === "write" && errno === "EROFS") || walNeedsWrite;
  let groups: string[] = [];
  if (!walNeedsWrite && (errno === "EACCES" || errno === "EPERM")) {
    const uid = opts.uid ?? process.getuid?.() ?? 0;
    const gids = new Set(opts.gids ?? process.getgroups?.() ?? []);
    const plan = groupsFor(scope.allow, access, { uid, gids }, opts.stat);
    groups = plan.gids.map((gid) => groupName(gid, opts.etcDir)).filter((n): n is string => n !== null && /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(n));
  }
  if (!hidden && !readOnly && groups.length === 0) return err;
  const dropIn = dropInFor(scope.allow, access, groups);
  const command = `holdfast-agent allow-path ${scope.allow}${access === "write" ? " --write" : ""}`;
  const why = hidden
    ? `${AGENT_UNIT} hides /home, /root and /run/user from the agent`
    : walNeedsWrite
      ? `to read a database in WAL mode SQLite creates its -shm and -wal files beside it, and ${AGENT_UNIT} keeps ${scope.allow} read-only`
      : readOnly
        ? `${AGENT_UNIT} lets the agent write only its own folders`
        : `the agent's user is not in the group ${groups.join(", ")} that may ${access} it`;
  const original = err instanceof Error ? err.message : String(err);
  return new HoldfastError(
    "PATH_NOT_ALLOWED",
    `${original.replace(/\.$/, "")}: ${why}. Run \`sudo ${command}\` on the agent's host, or write ${dropIn.file} with "[Service] ${dropIn.directives.join(" ")}" and run ${RELOAD_COMMANDS}`,
    {
      ...(err instanceof HoldfastError ? err.details : {}),
      originalCode: err instanceof HoldfastError ? err.code : errno,
      path: scope.allow,
      access,
      dropInFile: dropIn.file,
      dropIn: dropIn.text,
      command,
    },
  );
}
