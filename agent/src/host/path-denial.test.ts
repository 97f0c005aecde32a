import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { HoldfastError } from "@holdfast/shared";
import { folderFailure } from "../engines/files/folder-failure.js";
import { explainPathDenial } from "./path-denial.js";

const UNDER_SYSTEMD = { INVOCATION_ID: "0123456789abcdef0123456789abcdef" };

/** The error a SQLite restore raises when the rename into a read-only folder fails (engines/sqlite/restore.ts). */
const renameRefused = (target: string) =>
  new HoldfastError("RESTORE_FAILED", "Could not move the restored database into place (EROFS)", { stage: "replace", path: target, cause: "EROFS" });

/** A stat that answers for every path as if a folder owned by root, group `gid`, with `mode`. */
const statAs = (gid: number, mode: number) => () => ({ uid: 0, gid, mode: fs.constants.S_IFDIR | mode, isDirectory: () => true }) as unknown as fs.Stats;

describe("explainPathDenial", () => {
  it("answers a restore refused by the read-only file system with ReadWritePaths and allow-path --write", () => {
    const err = explainPathDenial(renameRefused("/srv/app/app.db"), { engine: "sqlite", allow: "/srv/app", access: "write" }, { env: UNDER_SYSTEMD });
    expect(err).toBeInstanceOf(HoldfastError);
    const e = err as HoldfastError;
    expect(e.code).toBe("PATH_NOT_ALLOWED");
    expect(e.message).toContain("Could not move the restored database into place (EROFS)");
    expect(e.message).toContain("sudo holdfast-agent allow-path /srv/app --write");
    expect(e.message).toMatch(/\/etc\/systemd\/system\/holdfast-agent\.service\.d\/allow-srv-app-[0-9a-f]{8}\.conf/);
    expect(e.message).toContain('"[Service] ReadWritePaths="/srv/app""');
    expect(e.message).toContain("systemctl daemon-reload && systemctl restart holdfast-agent");
    expect(e.details).toMatchObject({ originalCode: "RESTORE_FAILED", stage: "replace", path: "/srv/app", access: "write", command: "holdfast-agent allow-path /srv/app --write" });
    expect(e.details?.dropIn).toContain('[Service]\nReadWritePaths="/srv/app"\n');
  });

  it("answers a folder under a hidden home with the bind mount that brings it back", () => {
    const engineError = folderFailure("DB_CONNECTION_TEST_FAILED", "/home/app/uploads", Object.assign(new Error("nope"), { code: "ENOENT" }));
    const e = explainPathDenial(engineError, { engine: "files", allow: "/home/app/uploads", access: "read" }, { env: UNDER_SYSTEMD }) as HoldfastError;
    expect(e.code).toBe("PATH_NOT_ALLOWED");
    expect(e.message).toContain("The folder /home/app/uploads does not exist: holdfast-agent.service hides /home, /root and /run/user");
    expect(e.details?.dropIn).toContain('ProtectHome=tmpfs\nBindReadOnlyPaths="/home/app/uploads"\n');
    expect(e.details?.originalCode).toBe("DATABASE_NOT_FOUND");
  });

  it("names the group whose permission bits would let the agent read the path", () => {
    const engineError = folderFailure("DB_CONNECTION_TEST_FAILED", "/srv/uploads", Object.assign(new Error("nope"), { code: "EACCES" }));
    const etcDir = fs.mkdtempSync("/tmp/holdfast-denial-etc-");
    try {
      fs.writeFileSync(`${etcDir}/group`, "root:x:0:\nwww-data:x:33:\n");
      const e = explainPathDenial(engineError, { engine: "files", allow: "/srv/uploads", access: "read" }, { env: UNDER_SYSTEMD, uid: 999, gids: [999], etcDir, stat: statAs(33, 0o750) }) as HoldfastError;
      expect(e.code).toBe("PATH_NOT_ALLOWED");
      expect(e.message).toContain("not in the group www-data that may read it");
      expect(e.details?.dropIn).toContain('ReadOnlyPaths="/srv/uploads"\nSupplementaryGroups=www-data\n');
    } finally {
      fs.rmSync(etcDir, { recursive: true, force: true });
    }
  });

  it("leaves alone what a drop-in cannot fix", () => {
    const denied = folderFailure("DB_CONNECTION_TEST_FAILED", "/srv/uploads", Object.assign(new Error("nope"), { code: "EACCES" }));
    // The group may not read it either: permissions, not the sandbox.
    expect(explainPathDenial(denied, { engine: "files", allow: "/srv/uploads", access: "read" }, { env: UNDER_SYSTEMD, uid: 999, gids: [], stat: statAs(33, 0o700) })).toBe(denied);
    // A missing folder outside the hidden homes is just missing.
    const missing = folderFailure("DB_CONNECTION_TEST_FAILED", "/srv/gone", Object.assign(new Error("nope"), { code: "ENOENT" }));
    expect(explainPathDenial(missing, { engine: "files", allow: "/srv/gone", access: "read" }, { env: UNDER_SYSTEMD })).toBe(missing);
    // Not under systemd: a read-only file system is the host's own.
    const readOnly = renameRefused("/srv/app/app.db");
    expect(explainPathDenial(readOnly, { engine: "sqlite", allow: "/srv/app", access: "write" }, { env: {} })).toBe(readOnly);
    // Another engine (no path scope), and another kind of failure.
    expect(explainPathDenial(readOnly, null, { env: UNDER_SYSTEMD })).toBe(readOnly);
    const locked = new HoldfastError("DUMP_FAILED", "locked", { reason: "locked", sqliteCode: "SQLITE_BUSY" });
    expect(explainPathDenial(locked, { engine: "sqlite", allow: "/srv/app", access: "read" }, { env: UNDER_SYSTEMD })).toBe(locked);
  });

  it("reads SQLite's read-only code as the file system refusing a write", () => {
    const err = new HoldfastError("RESTORE_FAILED", "attempt to write a readonly database", { path: "/srv/app/app.db", sqliteCode: "SQLITE_READONLY" });
    expect((explainPathDenial(err, { engine: "sqlite", allow: "/srv/app", access: "write" }, { env: UNDER_SYSTEMD }) as HoldfastError).code).toBe("PATH_NOT_ALLOWED");
  });

  it("asks for write access to the folder of a WAL database SQLite cannot open read-only", () => {
    const cantOpen = new HoldfastError("DATABASE_AUTH_FAILED", "/srv/app/app.db: unable to open database file", { path: "/srv/app/app.db", reason: "unreadable", sqliteCode: "SQLITE_CANTOPEN" });
    const e = explainPathDenial(cantOpen, { engine: "sqlite", allow: "/srv/app", access: "read" }, { env: UNDER_SYSTEMD, readOnlyMount: () => true }) as HoldfastError;
    expect(e.code).toBe("PATH_NOT_ALLOWED");
    expect(e.message).toContain("SQLite creates its -shm and -wal files beside it, and holdfast-agent.service keeps /srv/app read-only");
    expect(e.message).toContain("sudo holdfast-agent allow-path /srv/app --write");
    expect(e.details).toMatchObject({ access: "write", originalCode: "DATABASE_AUTH_FAILED" });
    // On a writable mount the same error is the file's permissions, which no drop-in fixes.
    expect(explainPathDenial(cantOpen, { engine: "sqlite", allow: "/srv/app", access: "read" }, { env: UNDER_SYSTEMD, readOnlyMount: () => false, uid: 0, gids: [0] })).toBe(cantOpen);
  });

  it("takes the errno of a plain file-system error (a restore's mkdir on a read-only mount)", () => {
    const mkdirRefused = Object.assign(new Error("EROFS: read-only file system, mkdir '/srv/restore'"), { code: "EROFS" });
    const e = explainPathDenial(mkdirRefused, { engine: "files", allow: "/srv/restore", access: "write" }, { env: UNDER_SYSTEMD }) as HoldfastError;
    expect(e.code).toBe("PATH_NOT_ALLOWED");
    expect(e.details).toMatchObject({ originalCode: "EROFS", path: "/srv/restore" });
  });
});
