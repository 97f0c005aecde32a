import { chmod, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "./db/index.js";
import { loadEnv } from "./env.js";
import { startServer } from "./server.js";

const modeOf = async (path: string) => ((await stat(path)).mode & 0o777).toString(8);

/** A logger whose lines the test reads. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: "warn" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, warnings: () => lines.filter((l) => l.level === 40) };
}

describe("the control plane's files are private", () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  /** A data dir that does not exist yet, under a temp folder, so the control plane creates it. */
  async function freshDataDir(): Promise<string> {
    const parent = await mkdtemp(join(tmpdir(), "holdfast-modes-"));
    dirs.push(parent);
    return join(parent, "data");
  }
  async function serve(dataDir: string, logger = pino({ level: "silent" })) {
    return startServer(loadEnv({ dataDir, port: 0, host: "127.0.0.1" }, {}), { quiet: true, logger, scheduler: false });
  }

  it("creates the data dir and spool 0700, the database and its -wal and -shm 0600, and warns about nothing", async () => {
    const dataDir = await freshDataDir();
    const { logger, warnings } = capturingLogger();
    const server = await serve(dataDir, logger);
    try {
      const db = join(dataDir, "holdfast.db");
      expect({
        dataDir: await modeOf(dataDir),
        spool: await modeOf(join(dataDir, "spool")),
        db: await modeOf(db),
        wal: await modeOf(`${db}-wal`),
        shm: await modeOf(`${db}-shm`),
        masterKey: await modeOf(join(dataDir, "master.key")),
      }).toEqual({ dataDir: "700", spool: "700", db: "600", wal: "600", shm: "600", masterKey: "600" });
      expect(warnings()).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it("creates them private when a CLI command opens the database before the first serve", async () => {
    const dataDir = await freshDataDir();
    const env = loadEnv({ dataDir }, {});
    const database = await openDatabase(env);
    try {
      expect([await modeOf(dataDir), await modeOf(env.sqlitePath), await modeOf(`${env.sqlitePath}-wal`)]).toEqual(["700", "600", "600"]);
    } finally {
      await database.close();
    }
  });

  it("at start-up, names what someone loosened in one warning, tightens the database files and leaves the folders to the operator", async () => {
    const dataDir = await freshDataDir();
    await (await serve(dataDir)).close();
    const db = join(dataDir, "holdfast.db");
    const spool = join(dataDir, "spool");
    await chmod(dataDir, 0o755);
    await chmod(spool, 0o750);
    await chmod(db, 0o644);

    const { logger, warnings } = capturingLogger();
    const server = await serve(dataDir, logger);
    try {
      const said = warnings();
      expect(said).toHaveLength(1);
      expect(said[0]!.loose).toEqual([
        { path: dataDir, mode: "755" },
        { path: spool, mode: "750" },
        { path: db, mode: "644", tightenedTo: "600" },
        // SQLite created these on open with the database file's mode as it then was.
        { path: `${db}-wal`, mode: "644", tightenedTo: "600" },
        { path: `${db}-shm`, mode: "644", tightenedTo: "600" },
      ]);
      expect(said[0]!.msg).toContain(`chmod go= ${dataDir}`);
      expect([await modeOf(db), await modeOf(`${db}-wal`), await modeOf(`${db}-shm`), await modeOf(dataDir), await modeOf(spool)]).toEqual(["600", "600", "600", "755", "750"]);
    } finally {
      await server.close();
    }
  });
});
