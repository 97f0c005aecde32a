import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultEngines } from "../engines/registry.js";
import { saveDatasource } from "../store/datasources.js";
import { openStore } from "../store/open-store.js";
import { makeTempDir, ManualClock, PG } from "../testing/helpers.js";
import { configuredEngines } from "./configured-engines.js";
import { checkDumpTools } from "./dump-tools.js";
import { bounded, exitCodeOf, type Finding } from "./finding.js";
import { checkFreeSpace } from "./free-space.js";
import { renderText } from "./render.js";

describe("dump tools per configured engine", () => {
  let dir: string;
  beforeEach(() => {
    dir = makeTempDir("doctor-tools");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("reads the engines of the agent's datasources from its store, read-only", () => {
    expect(configuredEngines(path.join(dir, "data"))).toBeNull();
    const { store } = openStore({ dataDir: path.join(dir, "data"), stagingRoot: path.join(dir, "staging"), clock: new ManualClock() });
    saveDatasource(store, { datasourceId: "ds_1", name: "a", engine: "postgres", connection: { ...PG, database: "a" } });
    saveDatasource(store, { datasourceId: "ds_2", name: "b", engine: "postgres", connection: { ...PG, database: "b" } });
    saveDatasource(store, { datasourceId: "ds_3", name: "c", engine: "sqlite", connection: { path: "/var/lib/app/app.db" } });
    store.close();
    expect(configuredEngines(path.join(dir, "data"))).toEqual(["postgres", "sqlite"]);
  });

  it("reports each engine's tool version as the engine detects it, and a missing tool with what to install", async () => {
    const engines = defaultEngines({ tmpDir: dir });
    // This machine has the PostgreSQL client (the engine tests need it too).
    const expected = await engines.postgres!.toolVersion();
    expect(expected).toMatch(/pg_dump/);
    expect(await checkDumpTools(engines, ["postgres"])).toEqual([{ check: "dump-tools", status: "ok", summary: `postgres: ${expected}` }]);
    // A PATH without the tools: the same detection finds no dump tool.
    const savedPath = process.env.PATH;
    process.env.PATH = dir;
    try {
      expect(await checkDumpTools(defaultEngines({ tmpDir: dir }), ["mysql"])).toEqual([
        { check: "dump-tools", status: "fail", summary: "mysql: dump tool not found on PATH", fix: expect.stringContaining("apt-get install mariadb-client") },
      ]);
    } finally {
      process.env.PATH = savedPath;
    }
  });

  it("skips when no datasource is configured", async () => {
    expect((await checkDumpTools(defaultEngines({ tmpDir: dir }), null))[0]?.status).toBe("skip");
  });
});

describe("free space", () => {
  it("grades the free bytes against the limits", async () => {
    const dir = makeTempDir("doctor-free");
    try {
      expect((await checkFreeSpace("free-space", "staging", dir, { fail: 0, warn: 1 }))[0]?.status).toBe("ok");
      expect((await checkFreeSpace("free-space", "staging", dir, { fail: 1, warn: Number.MAX_SAFE_INTEGER }))[0]).toMatchObject({ status: "warn", fix: expect.stringContaining("TMPDIR") });
      expect((await checkFreeSpace("free-space", "staging", dir, { fail: Number.MAX_SAFE_INTEGER, warn: Number.MAX_SAFE_INTEGER }))[0]?.status).toBe("fail");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("findings", () => {
  const f = (status: Finding["status"]): Finding => ({ check: "x", status, summary: status });

  it("exit code: 0 when all is fine or skipped, 1 with a warning, 2 with a failure", () => {
    expect(exitCodeOf([f("ok"), f("skip")])).toBe(0);
    expect(exitCodeOf([f("ok"), f("warn")])).toBe(1);
    expect(exitCodeOf([f("warn"), f("fail"), f("ok")])).toBe(2);
  });

  it("a check that never answers becomes a failure of that check", async () => {
    const findings = await bounded("dns", 20, () => new Promise<Finding[]>(() => {}));
    expect(findings).toEqual([expect.objectContaining({ check: "dns", status: "fail", summary: "no answer within 0.02 s" })]);
  });

  it("a check that throws becomes a failure naming it", async () => {
    expect(await bounded("tcp", 1000, () => Promise.reject(new Error("boom")))).toEqual([{ check: "tcp", status: "fail", summary: "check failed: boom" }]);
  });

  it("renders marks, fixes of what is not fine, and the verdict", () => {
    const text = renderText([{ check: "data-dir", status: "warn", summary: "mode 0755", fix: "chmod 0700 /d" }, { check: "unit", status: "ok", summary: "active", fix: "never shown" }]);
    expect(text).toContain("! data-dir  mode 0755\n            fix: chmod 0700 /d\n✓ unit      active\n");
    expect(text).not.toContain("never shown");
    expect(text).toContain("1 ok, 1 warning(s), 0 failure(s), 0 skipped");
  });
});
