import fs from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { HoldfastError, systemClock } from "@holdfast/shared";
import { saveDatasource } from "../store/datasources.js";
import { openDatabase } from "../store/store.js";
import { makeTempDir } from "../testing/helpers.js";
import { readTargetConfig, storedTarget } from "./read-target-config.js";

const connection = { host: "db.internal", port: 5432, database: "orders", username: "restore" };
const refusal = (fn: () => unknown) =>
  Promise.resolve()
    .then(fn)
    .then(() => undefined, (e: unknown) => e as HoldfastError);

describe("the restore target of holdfast-agent restore", () => {
  const tmp = makeTempDir("target");
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const write = (name: string, body: unknown, mode = 0o600) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, JSON.stringify(body), { mode });
    fs.chmodSync(file, mode);
    return file;
  };

  it("--to reads a config of the engine's schema, a datasource's config included", async () => {
    expect(await readTargetConfig(write("a.json", { engine: "postgres", connection: { ...connection, passwordFile: "/etc/holdfast/pg" } }, 0o644))).toEqual({
      engine: "postgres",
      connection: { ...connection, passwordFile: "/etc/holdfast/pg" },
    });
    expect((await readTargetConfig(write("b.json", { datasourceId: "ds_1", name: "orders", engine: "postgres", connection }))).engine).toBe("postgres");
  });

  it("--to refuses a connection of the wrong schema, and a password in a file others may read", async () => {
    const wrong = await refusal(() => readTargetConfig(write("c.json", { engine: "postgres", connection: { path: "/x" } })));
    expect(wrong?.code).toBe("VALIDATION_FAILED");
    const open = await refusal(() => readTargetConfig(write("d.json", { engine: "postgres", connection: { ...connection, password: "s3cret" } }, 0o640)));
    expect(open?.message).toContain("which holds a password,");
    expect(open?.message).toContain("chmod 600");
    expect(open?.message).not.toContain("s3cret");
    expect((await readTargetConfig(write("e.json", { engine: "postgres", connection: { ...connection, password: "s3cret" } }))).connection).toMatchObject({ password: "s3cret" });
  });

  it("--datasource reads one the agent stores, its password unsealed; an unknown id is DATASOURCE_NOT_FOUND", async () => {
    const dataDir = path.join(tmp, "agent");
    const store = openDatabase(dataDir, systemClock);
    saveDatasource(store, { datasourceId: "ds_pg", name: "orders", engine: "postgres", connection: { ...connection, password: "s3cret" } });
    store.close();
    expect(storedTarget(dataDir, "ds_pg")).toEqual({ engine: "postgres", connection: { ...connection, password: "s3cret" } });
    expect((await refusal(() => storedTarget(dataDir, "ds_nope")))?.code).toBe("DATASOURCE_NOT_FOUND");
    expect((await refusal(() => storedTarget(path.join(tmp, "none"), "ds_pg")))?.message).toContain("holds no agent database");
  });
});
