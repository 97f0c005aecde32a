import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PRIVATE_KEY_FILE } from "../identity/keys.js";
import { makeTempDir, ManualClock } from "../testing/helpers.js";
import { saveDatasource } from "./datasources.js";
import { openStore } from "./open-store.js";
import { DB_FILE } from "./store.js";

const modeOf = (p: string) => (fs.statSync(p).mode & 0o777).toString(8);

describe("the data dir's modes", () => {
  let dir: string;
  let dataDir: string;
  const clock = new ManualClock();
  const open = () => openStore({ dataDir, stagingRoot: path.join(dir, "staging"), clock });

  beforeEach(() => {
    dir = makeTempDir("modes");
    dataDir = path.join(dir, "data");
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("creates the data dir 0700 and the database with its -wal and -shm files 0600", () => {
    const { store } = open();
    try {
      // A write, so the WAL holds something and the shared-memory file exists.
      saveDatasource(store, { datasourceId: "ds_1", name: "x", engine: "sqlite", connection: { path: "/tmp/x.db" } });
      expect(modeOf(dataDir)).toBe("700");
      for (const name of [DB_FILE, `${DB_FILE}-wal`, `${DB_FILE}-shm`]) expect([name, modeOf(path.join(dataDir, name))]).toEqual([name, "600"]);
    } finally {
      store.close();
    }
  });

  it("at start-up tightens what someone loosened and reports each, once; a private dir reports nothing", () => {
    const first = open();
    expect(first.loosened).toEqual([]);
    saveDatasource(first.store, { datasourceId: "ds_1", name: "x", engine: "sqlite", connection: { path: "/tmp/x.db" } });
    first.store.close();
    fs.writeFileSync(path.join(dataDir, PRIVATE_KEY_FILE), "key", { mode: 0o600 });
    fs.chmodSync(dataDir, 0o755);
    fs.chmodSync(path.join(dataDir, DB_FILE), 0o644);
    fs.chmodSync(path.join(dataDir, PRIVATE_KEY_FILE), 0o640);

    const second = open();
    second.store.close();
    expect(second.loosened).toEqual([
      { path: dataDir, found: "755", required: "700", tightened: true },
      { path: path.join(dataDir, DB_FILE), found: "644", required: "600", tightened: true },
      { path: path.join(dataDir, PRIVATE_KEY_FILE), found: "640", required: "600", tightened: true },
    ]);
    expect([modeOf(dataDir), modeOf(path.join(dataDir, DB_FILE)), modeOf(path.join(dataDir, PRIVATE_KEY_FILE))]).toEqual(["700", "600", "600"]);

    const third = open();
    third.store.close();
    expect(third.loosened).toEqual([]);
  });
});
