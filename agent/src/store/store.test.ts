import fs from "node:fs";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { HoldfastError } from "@holdfast/shared";
import { makeTempDir, ManualClock } from "../testing/helpers.js";
import { getDatasource, saveDatasource } from "./datasources.js";
import { openStore } from "./open-store.js";
import { readEventsAfter, type OutboxEvent } from "./outbox.js";
import { getRun } from "../queue/run-record.js";
import { insertQueuedRun, transitionRun } from "../queue/transitions.js";
import { SECRET_KEY_FILE } from "./secret-box.js";
import { DB_FILE, type AgentStore } from "./store.js";

const PASSWORD = "plaintext-Pa55word-7f3a";

describe("agent store", () => {
  let dir: string;
  let stagingRoot: string;
  let store: AgentStore;
  const clock = new ManualClock();

  beforeEach(() => {
    dir = makeTempDir("store");
    stagingRoot = path.join(dir, "staging");
    store = openStore({ dataDir: path.join(dir, "data"), stagingRoot, clock }).store;
    saveDatasource(store, {
      datasourceId: "ds_1",
      name: "main",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: "app", username: "app", password: PASSWORD },
    });
  });

  afterEach(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const newRun = (runId: string) =>
    store.transaction(() => insertQueuedRun(store, { runId, datasourceId: "ds_1", trigger: "manual", scheduleId: null, requestedBy: "u@x" }));

  it("encrypts the password: it round-trips, but the database files never hold the plaintext", () => {
    expect(getDatasource(store, "ds_1")).toMatchObject({ connection: { password: PASSWORD } });
    const keyFile = path.join(store.dataDir, SECRET_KEY_FILE);
    expect(fs.statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(keyFile).size).toBe(32);
    store.db.pragma("wal_checkpoint(TRUNCATE)");
    for (const f of fs.readdirSync(store.dataDir).filter((n) => n.startsWith(DB_FILE))) {
      expect(fs.readFileSync(path.join(store.dataDir, f)).includes(Buffer.from(PASSWORD))).toBe(false);
    }
    const stored = JSON.parse(store.db.prepare("SELECT connection FROM datasources WHERE id = 'ds_1'").pluck().get() as string);
    expect(stored.password).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
  });

  it("still opens a password an agent sealed before the shared format (a JSON object of base64 fields)", () => {
    const oldDir = path.join(dir, "old-agent");
    fs.mkdirSync(oldDir, { mode: 0o700 });
    fs.writeFileSync(path.join(oldDir, SECRET_KEY_FILE), Buffer.alloc(32, 7), { mode: 0o600 });
    const old = openStore({ dataDir: oldDir, stagingRoot, clock }).store;
    try {
      // What the agent's SecretBox wrote with that key before, for ds_legacy.
      const sealed = { v: 1, iv: "wF06Yfa7Fyq57B3F", tag: "ekeNIRwgaMYj2OHJuf8LlQ==", ct: "CP+iaee+ZOzJ6utM/sO+qhiJPw==" };
      const connection = { host: "h", port: 5432, database: "app", username: "app", password: sealed };
      old.db.prepare("INSERT INTO datasources (id, name, engine, connection, created_at, updated_at) VALUES ('ds_legacy','old','postgres',?, '', '')").run(JSON.stringify(connection));
      expect(getDatasource(old, "ds_legacy")?.connection).toMatchObject({ password: "pg pass: héllo 'x'" });
      // Written again, it takes the shared format and still opens.
      saveDatasource(old, getDatasource(old, "ds_legacy")!);
      expect(JSON.parse(old.db.prepare("SELECT connection FROM datasources WHERE id = 'ds_legacy'").pluck().get() as string).password).toMatch(/^v1\./);
      expect(getDatasource(old, "ds_legacy")?.connection).toMatchObject({ password: "pg pass: héllo 'x'" });
    } finally {
      old.close();
    }
  });

  it("binds each ciphertext to its datasource id (AAD): copied to another row it does not decrypt", () => {
    const conn = store.db.prepare("SELECT connection FROM datasources WHERE id = 'ds_1'").pluck().get() as string;
    store.db.prepare("INSERT INTO datasources (id, name, engine, connection, created_at, updated_at) VALUES ('ds_2','x','postgres',?, '', '')").run(conn);
    expect(() => getDatasource(store, "ds_2")).toThrow();
  });

  it("writes every state change and its event in one transaction, in sequence order", () => {
    newRun("run_a");
    transitionRun(store, "run_a", { to: "running" });
    transitionRun(store, "run_a", { to: "failed", error: { code: "DUMP_FAILED", message: "x", retryable: true } });
    expect(getRun(store, "run_a")?.state).toBe("failed");
    const events = readEventsAfter(store, 0);
    expect(events.map((e) => [e.sequence, e.type])).toEqual([
      [1, "backupStarted"],
      [2, "backupFailed"],
    ]);
  });

  it("rolls the state change back when its event cannot be written", () => {
    newRun("run_b");
    store.db.exec("CREATE TEMP TRIGGER no_outbox BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'disk says no'); END");
    expect(() => transitionRun(store, "run_b", { to: "running" })).toThrow(/disk says no/);
    expect(getRun(store, "run_b")?.state).toBe("queued");
  });

  it("refuses a transition the state machine forbids, writing nothing", () => {
    newRun("run_c");
    const seen: OutboxEvent[] = [];
    store.onEvent((e) => seen.push(e));
    const err = (() => {
      try {
        transitionRun(store, "run_c", { to: "completed", artifact: { sizeBytes: 1, rawSizeBytes: 1, sha256: "0".repeat(64), fileName: "f", stagingPath: "/x" }, artifactExpiresAt: "2026-01-02T00:00:00.000Z" });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(HoldfastError);
    expect((err as HoldfastError).code).toBe("INVALID_STATE_TRANSITION");
    expect(getRun(store, "run_c")?.state).toBe("queued");
    expect(readEventsAfter(store, 0)).toEqual([]);
    expect(seen).toEqual([]);
  });

  it("announces an event to listeners only after its transaction committed", () => {
    newRun("run_d");
    const seen: string[] = [];
    store.onEvent((e) => seen.push(`${e.type}:${store.db.inTransaction}`));
    transitionRun(store, "run_d", { to: "running" });
    expect(seen).toEqual(["backupStarted:false"]);
  });

  it("at open, closes a run left `running` as failed AGENT_RESTARTED and removes its staging dir", () => {
    newRun("run_e");
    transitionRun(store, "run_e", { to: "running" });
    const runDir = path.join(stagingRoot, "run_e");
    fs.mkdirSync(runDir, { recursive: true });
    fs.writeFileSync(path.join(runDir, "run_e.sql.gz.partial"), "half");
    store.close();

    const reopened = openStore({ dataDir: path.join(dir, "data"), stagingRoot, clock });
    store = reopened.store;
    expect(reopened.recovered.map((r) => r.runId)).toEqual(["run_e"]);
    const run = getRun(store, "run_e");
    expect(run?.state).toBe("failed");
    expect(run?.error).toMatchObject({ code: "AGENT_RESTARTED", retryable: true });
    const last = readEventsAfter(store, 0).at(-1);
    expect(last).toMatchObject({ type: "backupFailed", runId: "run_e" });
    expect(fs.existsSync(runDir)).toBe(false);
  });
});
