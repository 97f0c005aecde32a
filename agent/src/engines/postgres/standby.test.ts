import fs from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveBackupOptions, type PostgresConnection } from "@holdfast/shared";
import { stageBackup } from "../../testing/engines.js";
import { failureOf, makeTempDir } from "../../testing/helpers.js";
import { startStreamingReplica, type StreamingReplica } from "../../testing/streaming-replica.js";
import { setupRunEnv } from "../../testing/run-env.js";
import { saveDatasource } from "../../store/datasources.js";
import { startBackup } from "../../queue/start-backup.js";
import { getRun } from "../../queue/run-record.js";
import { membersOf, tarEntries } from "../../testing/server-tar.js";
import { WholeServerEngine } from "../whole-server.js";
import { PostgresEngine } from "./engine.js";
import { PostgresServer } from "./whole-server.js";

/** Every row of a table, hashed, and its count: what "equal" means here. */
const contentsOf = (sql: (q: string, db?: string) => string, db: string) => sql("SELECT count(*) || ':' || md5(coalesce(string_agg(t::text, ',' ORDER BY id), '')) FROM items t", db);

describe("dumps from a real hot standby (pg_basebackup -R of a private cluster)", () => {
  let replica: StreamingReplica;
  const tmp = makeTempDir("standby");
  const engine = new PostgresEngine({ tmpDir: tmp });
  let conn: PostgresConnection;

  beforeAll(async () => {
    replica = await startStreamingReplica();
    replica.primary("CREATE DATABASE shop");
    replica.primary("CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 5000) g;", "shop");
    await replica.caughtUp();
    conn = { host: "127.0.0.1", port: replica.primaryPort, database: "shop", username: "postgres", standby: { host: "127.0.0.1", port: replica.standbyPort, maxLagSeconds: 300 } };
  }, 120_000);
  afterAll(() => {
    replica?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("reads the standby, not the primary, and the dump restores equal to the primary it replicates", async () => {
    // Replay paused: a row written on the primary now is not on the standby, so the dump shows where it read.
    replica.standby("SELECT pg_wal_replay_pause()");
    replica.primary("INSERT INTO items VALUES (9999, 'only on the primary')", "shop");
    const paused = await stageBackup(engine, conn, resolveBackupOptions({ compression: { codec: "zstd" } }, "postgres"), { tmp, runId: "run_paused" });
    replica.primary("CREATE DATABASE paused_copy");
    await engine.restore(fs.createReadStream(paused.artifact.stagingPath), { ...conn, database: "paused_copy", standby: undefined }, { format: "plain", codec: "zstd" });
    expect(replica.primary("SELECT count(*) FROM items WHERE id = 9999", "paused_copy")).toBe("0");

    replica.standby("SELECT pg_wal_replay_resume()");
    await replica.caughtUp();
    const caughtUp = await stageBackup(engine, conn, resolveBackupOptions({ compression: { codec: "zstd" } }, "postgres"), { tmp, runId: "run_caught_up" });
    replica.primary("CREATE DATABASE restored");
    await engine.restore(fs.createReadStream(caughtUp.artifact.stagingPath), { ...conn, database: "restored", standby: undefined }, { format: "plain", codec: "zstd" });
    expect(contentsOf(replica.primary, "restored")).toBe(contentsOf(replica.primary, "shop"));
    expect(contentsOf(replica.primary, "restored")).toMatch(/^5001:/);
  });

  it("runs a whole backup with its restore drill: dumped on the standby, drilled in a scratch database on the primary, verified", async () => {
    await replica.caughtUp();
    const env = setupRunEnv({ prefix: "standby-run" });
    try {
      saveDatasource(env.store, { datasourceId: "ds_standby", name: "shop", engine: "postgres", connection: conn });
      await startBackup(env.ctx, { runId: "run_drilled", datasourceId: "ds_standby", trigger: "manual", requestedBy: "ops@example.com", options: { verify: true } });
      await env.ctx.slot.whenIdle();
      const run = getRun(env.store, "run_drilled")!;
      expect(run.state, JSON.stringify(run.error)).toBe("completed");
      expect(run.artifactMeta?.verification).toMatchObject({ verified: true });
      // The scratch database lived on the primary and is gone; the standby could not have held it.
      expect(replica.primary("SELECT count(*) FROM pg_database WHERE datname LIKE 'holdfast_drill_%'")).toBe("0");
    } finally {
      env.cleanup();
    }
  });

  it("refuses a primary named as the standby, naming the field", async () => {
    const err = await failureOf(engine.testConnection({ ...conn, standby: { host: "127.0.0.1", port: replica.primaryPort, maxLagSeconds: 300 } }));
    expect(err.code).toBe("VALIDATION_FAILED");
    expect(err.details?.issues).toEqual([expect.objectContaining({ path: "connection.standby", message: expect.stringContaining("is not a standby") })]);
    await expect(engine.testConnection(conn)).resolves.toMatchObject({ serverVersion: expect.stringContaining("PostgreSQL") });
  });

  it("warns in the preflight when the standby replays further behind than allowed, and not when it has caught up", async () => {
    const strict = { ...conn, standby: { ...conn.standby!, maxLagSeconds: 1 } };
    await replica.caughtUp();
    expect((await engine.preflight(strict)).warnings).toEqual([]);
    replica.standby("SELECT pg_wal_replay_pause()");
    try {
      replica.primary("INSERT INTO items VALUES (10001, 'lagging')", "shop");
      // The lag grows by itself while replay is paused: ask until it passes the 1 s allowed (bounded).
      const deadline = Date.now() + 15_000;
      let warnings = (await engine.preflight(strict)).warnings;
      while (warnings.length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        warnings = (await engine.preflight(strict)).warnings;
      }
      expect(warnings).toEqual([{ code: "REPLICATION_LAG", message: expect.stringMatching(/replays \d+ s behind the primary \(more than 1 s\)/) }]);
    } finally {
      replica.standby("SELECT pg_wal_replay_resume()");
    }
  });

  it("a whole server (database \"*\") reads its list and its globals from the standby too, not only each database", async () => {
    const whole = new WholeServerEngine(engine, new PostgresServer(engine));
    const server: PostgresConnection = { ...conn, database: "*" };
    const backupOf = async (runId: string) => {
      const options = resolveBackupOptions({ compression: { codec: "zstd" }, databases: { include: ["shop", "late*"] } }, "postgres", true);
      const staged = await stageBackup(whole, server, options, { tmp, runId });
      const { digests, json } = membersOf(await tarEntries(staged.artifact.stagingPath, "zstd"));
      const globals = digests.find((d) => d.member === "globals.sql")!.data.toString();
      return { databases: (json["manifest.json"] as { databases: { name: string }[] }).databases.map((d) => d.name), globals };
    };
    await replica.caughtUp();
    replica.standby("SELECT pg_wal_replay_pause()");
    try {
      // Made on the primary while the standby does not replay: a backup that read the primary would hold them.
      replica.primary("CREATE DATABASE late_one");
      replica.primary("CREATE ROLE late_role NOLOGIN");
      const paused = await backupOf("run_ws_paused");
      expect(paused.databases).toEqual(["shop"]);
      expect(paused.globals).not.toContain("late_role");
      // The preflight reads the list where the backup will: nothing matches there yet.
      const refused = await whole.preflight(server, resolveBackupOptions({ databases: { include: ["late*"] } }, "postgres", true));
      expect(refused.blockingIssues).toEqual([expect.objectContaining({ code: "NO_DATABASE_MATCHED" })]);
    } finally {
      replica.standby("SELECT pg_wal_replay_resume()");
    }
    await replica.caughtUp();
    const caughtUp = await backupOf("run_ws_caught_up");
    expect(caughtUp.databases).toEqual(["late_one", "shop"]);
    expect(caughtUp.globals).toContain("CREATE ROLE late_role");
    // The whole server's connection test checks the standby too.
    const err = await failureOf(whole.testConnection({ ...server, standby: { host: "127.0.0.1", port: replica.primaryPort, maxLagSeconds: 300 } }));
    expect(err.details?.issues).toEqual([expect.objectContaining({ path: "connection.standby" })]);
    await expect(whole.testConnection(server)).resolves.toMatchObject({ serverVersion: expect.stringContaining("PostgreSQL") });
  }, 60_000);

  it("reports a dump the standby cancelled for a recovery conflict as DUMP_RECOVERY_CONFLICT, never as a good dump", async () => {
    replica.primary("CREATE TABLE big (id int, pad text); INSERT INTO big SELECT g, repeat('x', 200) FROM generate_series(1, 200000) g;", "shop");
    replica.primary("CREATE TABLE churn (id int); INSERT INTO churn SELECT generate_series(1, 1000);", "shop");
    await replica.caughtUp();
    // Nobody reads the dump's output: pg_dump stops in the middle of COPY with its snapshot open.
    const dump = await engine.dump(conn, resolveBackupOptions({ compression: { codec: "none" } }, "postgres"));
    dump.stdout.pause();
    const done = dump.done.then(
      () => null,
      (err: unknown) => err,
    );
    const deadline = Date.now() + 20_000;
    while (replica.standby("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'holdfast-agent' AND query ILIKE 'COPY%'") !== "1") {
      if (Date.now() > deadline) throw new Error("pg_dump never reached COPY on the standby");
      await new Promise((r) => setTimeout(r, 20));
    }
    // Rows the dump's snapshot may still see, removed on the primary: the standby must cancel the dump to replay it.
    replica.primary("DELETE FROM churn", "shop");
    replica.primary("VACUUM churn", "shop");
    dump.stdout.resume();
    dump.stdout.on("data", () => {});
    const err = (await done) as { code?: string; details?: Record<string, unknown> } | null;
    expect(err?.code).toBe("DUMP_RECOVERY_CONFLICT");
    expect(err?.details?.settings).toEqual(["max_standby_streaming_delay", "hot_standby_feedback"]);
  }, 60_000);
});
