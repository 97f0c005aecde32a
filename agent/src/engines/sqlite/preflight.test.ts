import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { saveDatasource } from "../../store/datasources.js";
import { preflight } from "../../runs/preflight.js";
import { makeTempDir } from "../../testing/helpers.js";
import { setupRunEnv } from "../../testing/run-env.js";
import { SqliteEngine } from "./engine.js";

/** The copy needs room in the engine's temp dir: a 1 MiB tmpfs cannot hold a 3 MiB database. Mounting needs root. */
describe.skipIf(process.getuid?.() !== 0)("SQLite preflight: room for the copy", () => {
  const dir = makeTempDir("sqlite-pf");
  const tiny = path.join(dir, "tiny");
  const file = path.join(dir, "big.db");

  beforeAll(() => {
    fs.mkdirSync(tiny);
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", tiny]);
    const db = new Database(file);
    db.exec("CREATE TABLE t (v BLOB)");
    const insert = db.prepare("INSERT INTO t VALUES (randomblob(4096))");
    for (let i = 0; i < 750; i++) insert.run();
    db.close();
  });
  afterAll(() => {
    execFileSync("umount", [tiny]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("blocks a backup whose copy would not fit in the temp dir, and passes where it fits", async () => {
    await expect(new SqliteEngine({ tmpDir: tiny }).preflight({ path: file })).resolves.toEqual({
      blockingIssues: [{ code: "INSUFFICIENT_SPACE", message: expect.stringMatching(/^The SQLite copy needs \d+ bytes in .*tiny; \d+ are free$/) }],
      warnings: [],
    });
    await expect(new SqliteEngine({ tmpDir: dir }).preflight({ path: file })).resolves.toEqual({ blockingIssues: [], warnings: [] });
  });

  it("is part of the agent's preflight, which then refuses the run", async () => {
    const env = setupRunEnv({ prefix: "sqlite-pf-run", engines: { sqlite: new SqliteEngine({ tmpDir: tiny }) } });
    try {
      saveDatasource(env.store, { datasourceId: "ds_sq", name: "big", engine: "sqlite", connection: { path: file } });
      const result = await preflight(env.ctx, "ds_sq");
      expect(result.ok).toBe(false);
      expect(result.blockingIssues.map((i) => i.code)).toContain("INSUFFICIENT_SPACE");
    } finally {
      env.cleanup();
    }
  });
});
