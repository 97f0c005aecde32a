import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { artifactExtension, artifactKindOf, BackupOptions, resolveBackupOptions, type PostgresConnection } from "@holdfast/shared";
import { createRunContext } from "../agent.js";
import { DEFAULT_LIMITS } from "../env.js";
import { silentLogger } from "../log.js";
import { saveDatasource } from "../store/datasources.js";
import { openStore } from "../store/open-store.js";
import { readEventsAfter } from "../store/outbox.js";
import { getRun } from "../queue/run-record.js";
import { createDatabase, dropDatabase, makeTempDir, ManualClock, PG, psql, uniqueName } from "../testing/helpers.js";
import { codecAvailable } from "./preflight.js";
import { startBackup } from "../queue/start-backup.js";

function setup() {
  const dir = makeTempDir("opts");
  const stagingRoot = path.join(dir, "staging");
  const clock = new ManualClock();
  const { store } = openStore({ dataDir: path.join(dir, "data"), stagingRoot, clock });
  const ctx = createRunContext({ store, stagingRoot, clock, log: silentLogger, tmpDir: dir, limits: DEFAULT_LIMITS });
  return { dir, store, ctx, clock };
}

describe("backups with options", () => {
  const source = uniqueName("hf_opts");
  let env: ReturnType<typeof setup>;
  const run = async (runId: string, options?: BackupOptions) => {
    await startBackup(env.ctx, { runId, datasourceId: "ds", trigger: "manual", requestedBy: "ops@example.com", ...(options ? { options } : {}) });
    await env.ctx.slot.whenIdle();
    return getRun(env.store, runId)!;
  };

  beforeAll(() => {
    createDatabase(source);
    psql("CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items SELECT g, repeat('x', 100) || g FROM generate_series(1, 20000) g;", source);
  });
  afterAll(() => dropDatabase(source));
  beforeEach(() => {
    env = setup();
    const connection: PostgresConnection = { ...PG, database: source };
    saveDatasource(env.store, { datasourceId: "ds", name: "src", engine: "postgres", connection });
  });
  afterEach(() => {
    env.store.close();
    fs.rmSync(env.dir, { recursive: true, force: true });
  });

  it("dumps custom + zstd -5 and reports the artifact's metadata in backupCompleted", async () => {
    const r = await run("run_cz", { format: "custom", compression: { codec: "zstd", level: 5 } });
    expect(r.state).toBe("completed");
    expect(r.fileName).toBe("run_cz.dump.zst");
    expect(r.options).toMatchObject({ format: "custom", codec: "zstd", level: 5 });
    const done = readEventsAfter(env.store, 0).find((e) => e.type === "backupCompleted")!;
    expect(done.data).toMatchObject({ format: "custom", codec: "zstd", level: 5, tablesCount: 1, fileName: "run_cz.dump.zst" });
    const data = done.data as { serverVersion: string; durationMs: number; ratio: number };
    expect(data.serverVersion).toMatch(/^PostgreSQL \d+/);
    expect(data.durationMs).toBeGreaterThanOrEqual(0);
    expect(data.ratio).toBeGreaterThan(0);
    expect(data.ratio).toBeLessThan(1);
  });

  it("fails an implausibly small dump (below 10% of the last comparable run) with DUMP_FAILED, and compares only like with like", async () => {
    expect((await run("run_full")).state).toBe("completed");
    psql("DELETE FROM items WHERE id > 100", source);
    try {
      const small = await run("run_small");
      expect(small.state).toBe("failed");
      expect(small.error).toMatchObject({ code: "DUMP_FAILED", details: { previousRunId: "run_full" } });
      expect(fs.existsSync(path.join(env.ctx.stagingRoot, "run_small"))).toBe(false);
      // A schema-only run is not measured against a full one.
      expect((await run("run_schema", { schemaOnly: true })).state).toBe("completed");
    } finally {
      psql("INSERT INTO items SELECT g, repeat('x', 100) || g FROM generate_series(101, 20000) g", source);
    }
  });

  it("puts the cluster's globals (pg_dumpall --globals-only) first in a plain dump's stream", async () => {
    const r = await run("run_glob", { globals: true });
    expect(r.state).toBe("completed");
    const sql = zlib.gunzipSync(fs.readFileSync(r.stagingPath!)).toString("utf8");
    const role = sql.indexOf("CREATE ROLE postgres;");
    expect(role).toBeGreaterThanOrEqual(0);
    expect(role).toBeLessThan(sql.indexOf("CREATE TABLE public.items"));
  });

  it("zstd is reported unavailable when its tool is missing (preflight blocks on it)", async () => {
    expect(await codecAvailable("zstd", path.join(env.dir, "no-zstd"))).toBe(false);
    expect(await codecAvailable("zstd")).toBe(true);
    expect(await codecAvailable("none")).toBe(true);
  });
});

describe("BackupOptions at the boundary", () => {
  it("refuses schemaOnly with dataOnly, levels out of range, and hostile patterns", () => {
    expect(BackupOptions.safeParse({ schemaOnly: true, dataOnly: true }).success).toBe(false);
    expect(BackupOptions.safeParse({ compression: { codec: "gzip", level: 12 } }).success).toBe(false);
    expect(BackupOptions.safeParse({ compression: { codec: "none", level: 1 } }).success).toBe(false);
    expect(BackupOptions.safeParse({ format: "custom", globals: true }).success).toBe(false);
    for (const bad of ["-x", "--file=/etc/passwd", "a\nb", "a\u0000b", "a\rb", ""]) {
      expect(BackupOptions.safeParse({ tables: { include: [bad] } }).success, JSON.stringify(bad)).toBe(false);
      expect(BackupOptions.safeParse({ schemas: { exclude: [bad] } }).success, JSON.stringify(bad)).toBe(false);
    }
    expect(BackupOptions.parse({ tables: { include: ["$(id)", "`id`", "a;b"] } })).toEqual({ tables: { include: ["$(id)", "`id`", "a;b"] } });
  });

  it("takes an age X25519 recipient only, and names encrypted artifacts `.age`", () => {
    const recipient = `age1${"q".repeat(58)}`;
    expect(BackupOptions.parse({ encryption: { recipient } })).toEqual({ encryption: { recipient } });
    for (const bad of ["", "age1", `age1${"q".repeat(57)}`, `age1${"b".repeat(58)}`, `AGE1${"Q".repeat(58)}`, `AGE-SECRET-KEY-1${"Q".repeat(58)}`, `-age1${"q".repeat(58)}`]) {
      expect(BackupOptions.safeParse({ encryption: { recipient: bad } }).success, bad).toBe(false);
    }
    expect(BackupOptions.safeParse({ encryption: { recipient, extra: 1 } }).success).toBe(false);
    expect(resolveBackupOptions({ encryption: { recipient } }).encryption).toEqual({ recipient });
    expect("encryption" in resolveBackupOptions(undefined)).toBe(false);
    expect(artifactExtension("plain", "gzip", true)).toBe(".sql.gz.age");
    expect(artifactKindOf("run_1.dump.zst.age")).toEqual({ format: "custom", codec: "zstd", encrypted: true });
    expect(artifactKindOf("run_1.sql.age")).toEqual({ format: "plain", codec: "none", encrypted: true });
    expect(artifactKindOf("run_1.sql.gz")).toEqual({ format: "plain", codec: "gzip", encrypted: false });
  });
});
