import fs from "node:fs";
import { Transform } from "node:stream";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { BackupOptions, PostgresConnection, Verification } from "@holdfast/shared";
import { PostgresEngine } from "../engines/postgres/engine.js";
import type { Engine } from "../engines/types.js";
import { saveDatasource } from "../store/datasources.js";
import { getRun } from "../queue/run-record.js";
import { startBackup } from "../queue/start-backup.js";
import { createDatabase, dropDatabase, PG, psql, uniqueName } from "../testing/helpers.js";
import { setupRunEnv, type RunEnv } from "../testing/run-env.js";
import { compareFingerprints } from "./compare-fingerprints.js";

const fp = (items: Record<string, number>) => ({ method: "m", items: Object.fromEntries(Object.entries(items).map(([k, rows]) => [k, { rows, checksum: `c${rows}` }])) });

describe("compareFingerprints", () => {
  it("is equal only with the same items holding the same values", () => {
    expect(compareFingerprints(fp({ a: 1, b: 2 }), fp({ a: 1, b: 2 }))).toEqual({ verified: true, checked: 2, mismatches: [] });
    expect(compareFingerprints(fp({ a: 1, b: 2 }), fp({ a: 1, b: 3 })).mismatches).toEqual([{ item: "b", expected: "rows=2 checksum=c2", found: "rows=3 checksum=c3" }]);
    expect(compareFingerprints(fp({ a: 1, b: 2 }), fp({ a: 1 })).mismatches).toEqual([{ item: "b", expected: "rows=2 checksum=c2", found: null }]);
    expect(compareFingerprints(fp({ a: 1 }), fp({ a: 1, z: 0 })).verified).toBe(false);
  });
  it("a filtered backup is judged on what it holds, but an empty copy never passes", () => {
    expect(compareFingerprints(fp({ a: 1, b: 2 }), fp({ a: 1 }), { onlyRestored: true }).verified).toBe(true);
    expect(compareFingerprints(fp({ a: 1, b: 2 }), fp({ a: 9 }), { onlyRestored: true }).verified).toBe(false);
    expect(compareFingerprints(fp({ a: 1 }), fp({}), { onlyRestored: true }).verified).toBe(false);
  });
});

/** An engine whose dumps lose one row on the way: a backup that looks fine and is not. */
function droppingOneRow(engine: PostgresEngine): Engine<PostgresConnection> {
  return Object.assign(Object.create(engine) as PostgresEngine, {
    async dump(...[connection, options, hints]: Parameters<PostgresEngine["dump"]>) {
      // It must see the bytes to drop one: no writing straight into the codec.
      const { stdoutTo: _direct, ...relayed } = hints ?? {};
      const handle = await engine.dump(connection, options, relayed);
      let dropped = false;
      let carry = "";
      const drop = new Transform({
        transform(chunk: Buffer, _e, cb) {
          const lines = (carry + chunk.toString("latin1")).split("\n");
          carry = lines.pop() ?? "";
          const kept = lines.filter((l) => (!dropped && l.startsWith("42\t") ? ((dropped = true), false) : true));
          cb(null, Buffer.from(kept.map((l) => `${l}\n`).join(""), "latin1"));
        },
        flush(cb) {
          cb(null, Buffer.from(carry, "latin1"));
        },
      });
      return { ...handle, stdout: handle.stdout.pipe(drop) };
    },
  });
}

describe("the restore drill against real PostgreSQL (verify: true)", () => {
  const source = uniqueName("hf_drill");
  let env: RunEnv;
  let recipient: string;

  beforeAll(async () => {
    createDatabase(source);
    psql(
      `CREATE TABLE accounts (id int PRIMARY KEY, owner text, balance numeric, note bytea);
       INSERT INTO accounts SELECT g, 'owner ' || g, g * 10, decode(md5(g::text), 'hex') FROM generate_series(1, 3000) g;
       CREATE SCHEMA "Odd Schema"; CREATE TABLE "Odd Schema"."Mixed Case" (v text); INSERT INTO "Odd Schema"."Mixed Case" VALUES (NULL), (''), ('😀');`,
      source,
    );
    recipient = await identityToRecipient(await generateX25519Identity());
  });
  afterAll(() => dropDatabase(source));
  afterEach(() => env.cleanup());

  const drillDatabases = () => psql("SELECT count(*) FROM pg_database WHERE datname LIKE 'holdfast_drill_%'");
  const connection: PostgresConnection = { ...PG, database: source };

  async function backup(runId: string, options: BackupOptions): Promise<Verification | undefined> {
    saveDatasource(env.store, { datasourceId: "ds_pg", name: "src", engine: "postgres", connection });
    await startBackup(env.ctx, { runId, datasourceId: "ds_pg", trigger: "manual", requestedBy: "ops", options });
    await env.ctx.slot.whenIdle();
    const run = getRun(env.store, runId)!;
    expect(run.state).toBe("completed");
    return run.artifactMeta?.verification;
  }

  describe("with the real engine", () => {
    beforeEach(() => {
      env = setupRunEnv({ prefix: "drill" });
    });

    it("records verified: true for a good backup, every table compared, and leaves no scratch database", async () => {
      const before = drillDatabases();
      const v = await backup("run_drill_ok", { format: "custom", compression: { codec: "zstd" }, verify: true });
      expect(v).toMatchObject({ verified: true, checked: 2, mismatches: [] });
      expect(v?.method).toMatch(/md5/);
      expect(drillDatabases()).toBe(before);
    });

    it("drills an encrypted backup from the compressed plaintext, which is gone afterwards", async () => {
      const v = await backup("run_drill_enc", { format: "plain", compression: { codec: "gzip" }, encryption: { recipient }, verify: true });
      expect(v).toMatchObject({ verified: true, checked: 2 });
      const left = fs.readdirSync(env.stagingRoot, { recursive: true }).map(String);
      expect(left.filter((f) => f.includes(".drill"))).toEqual([]);
    });

    it("stays verified while a writer keeps changing the source: dump and fingerprint read one snapshot", async () => {
      let writing = true;
      const writer = (async () => {
        for (let i = 0; writing && i < 400; i++) {
          psql(`INSERT INTO accounts VALUES (${100_000 + i}, 'late', 1, NULL); UPDATE accounts SET balance = balance + 1 WHERE id = ${(i % 3000) + 1}`, source);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const v = await backup("run_drill_live", { format: "directory", compression: { codec: "none" }, verify: true });
      writing = false;
      await writer;
      expect(v).toMatchObject({ verified: true, checked: 2 });
    });
  });

  it("records verified: false, naming the table, for a backup that lost a row on the way", async () => {
    env = setupRunEnv({ prefix: "drill-bad", engines: { postgres: droppingOneRow(new PostgresEngine({})) } });
    const v = await backup("run_drill_bad", { format: "plain", compression: { codec: "gzip" }, verify: true });
    expect(v?.verified).toBe(false);
    expect(v?.mismatches).toEqual([expect.objectContaining({ item: "public.accounts", expected: expect.stringMatching(/^rows=3\d{3} /) })]);
  });
});
