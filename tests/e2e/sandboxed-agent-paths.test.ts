import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchMysql } from "../support/mysql.js";
import { createScratchDatabase } from "../support/postgres.js";
import { AGENT_BIN, api, type Api, type ControlPlane, createAdmin, enrollAgent, ManagedProcess, startControlPlane, tempDir, waitForAgentStatus, waitForRun } from "../support/processes.js";

const require = createRequire(import.meta.url);
const Database = require("better-sqlite3");

// No systemd runs here (PID 1 is not systemd, so systemd-run cannot start the unit). What the unit's
// sandbox does to the agent's file system is reproduced with the same kernel mechanism, a private
// mount namespace (unshare -m): the restore folder and /run bind-mounted read-only, as
// ProtectSystem=strict leaves every path outside ReadWritePaths=, and /home covered by an empty
// tmpfs, as ProtectHome= hides it. INVOCATION_ID is set as systemd sets it. The agent is the real one, driven through the
// real control plane; what is checked is the answer a user reads.
const SANDBOX = [
  "-c",
  'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && mount --bind /run /run && mount -o remount,bind,ro /run && mount -t tmpfs -o mode=000 tmpfs /home && shift && exec "$@"',
  "sandbox",
];

describe("the agent under the unit's file-system sandbox", () => {
  let cp: ControlPlane;
  let client: Api;
  let agentProcess: ManagedProcess;
  let agentId: string;
  let destinationId: string;
  const readOnly = tempDir("sandbox-ro");

  beforeAll(async () => {
    cp = await startControlPlane();
    client = api(cp, await createAdmin(cp));
    const agent = await enrollAgent(cp);
    agentId = agent.agentId;
    const db = new Database(path.join(readOnly, "app.db"));
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t (v) VALUES ('kept')");
    db.close();
    // A database in WAL mode, as most applications keep theirs; closed, so its -wal and -shm are gone.
    const wal = new Database(path.join(readOnly, "wal.db"));
    wal.pragma("journal_mode = WAL");
    wal.exec("CREATE TABLE t (id INTEGER PRIMARY KEY)");
    wal.close();
    const child = spawn("unshare", ["--mount", "--propagation", "private", "sh", ...SANDBOX, readOnly, process.execPath, AGENT_BIN, "run", "--data-dir", agent.dataDir], {
      env: { ...process.env, HOLDFAST_HEARTBEAT_MS: "5000", INVOCATION_ID: "5f1c0ffee0000000000000000000e2e0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    agentProcess = new ManagedProcess(child);
    await waitForAgentStatus(client, agentId, "online").catch((err: unknown) => {
      throw new Error(`${String(err)}\n${agentProcess.output}`);
    });
    destinationId = (await client.post("/destinations", { name: "local", type: "local", config: { path: tempDir("sandbox-dest") } })).body.id;
  });
  afterAll(async () => {
    await agentProcess?.stop();
    await cp?.process.stop();
  });

  async function datasource(name: string, engine: string, connection: object): Promise<string> {
    const ds = await client.post("/datasources", { agentId, name, engine, connection, test: false });
    expect(ds.status, JSON.stringify(ds.body)).toBe(201);
    return ds.body.id;
  }

  it("backs up a SQLite file it may only read, and answers a restore into that folder with the drop-in that allows it", async () => {
    const sourceId = await datasource("read-only source", "sqlite", { path: path.join(readOnly, "app.db") });
    const backup = await client.post(`/datasources/${sourceId}/backups`, { destinationIds: [destinationId] });
    expect(backup.status).toBe(202);
    // Restorable once its copy reached the destination.
    const run = await waitForRun(client, backup.body.runId, (r) => r.state === "failed" || (r.state === "completed" && r.deliveries.every((d: { state: string }) => d.state !== "pending" && d.state !== "running")));
    expect(run).toMatchObject({ state: "completed", deliveries: [expect.objectContaining({ state: "completed" })] });

    const targetId = await datasource("read-only target", "sqlite", { path: path.join(readOnly, "restored.db") });
    const restore = await client.post(`/runs/${run.runId}/restore`, { targetDatasourceId: targetId });
    expect(restore.status, JSON.stringify(restore.body)).toBe(202);
    const failed = await waitForRun(client, restore.body.runId, (r) => ["completed", "failed"].includes(r.state));
    expect(failed.state).toBe("failed");
    expect(failed.error.code).toBe("PATH_NOT_ALLOWED");
    expect(failed.error.message).toContain("The restore stopped while writing the database (EROFS): holdfast-agent.service lets the agent write only its own folders");
    expect(failed.error.message).toContain(`sudo holdfast-agent allow-path ${readOnly} --write`);
    expect(failed.error.message).toContain("systemctl daemon-reload && systemctl restart holdfast-agent");
    expect(failed.error.details.dropIn).toContain(`[Service]\nReadWritePaths="${readOnly}"\n`);
    expect(failed.error.details.dropInFile).toMatch(/^\/etc\/systemd\/system\/holdfast-agent\.service\.d\/allow-.*\.conf$/);
  });

  it("answers a connection test of a folder under /home with the bind mount that brings it back", async () => {
    const uploads = "/home/holdfast-e2e/uploads";
    const id = await datasource("home folder", "files", { path: uploads });
    const tested = await client.post(`/datasources/${id}/test`);
    expect(tested.status).toBe(422);
    expect(tested.body.error.code).toBe("PATH_NOT_ALLOWED");
    expect(tested.body.error.message).toContain("hides /home, /root and /run/user");
    expect(tested.body.error.message).toContain(`sudo holdfast-agent allow-path ${uploads}`);
    expect(tested.body.error.details.dropIn).toContain(`ProtectHome=tmpfs\nBindReadOnlyPaths="${uploads}"\n`);
  });

  it("answers a WAL database in a read-only folder with write access to that folder, which SQLite needs to read it", async () => {
    const id = await datasource("wal in read-only folder", "sqlite", { path: path.join(readOnly, "wal.db") });
    const tested = await client.post(`/datasources/${id}/test`);
    expect(tested.status).toBe(422);
    expect(tested.body.error.code).toBe("PATH_NOT_ALLOWED");
    expect(tested.body.error.message).toContain(`keeps ${readOnly} read-only`);
    expect(tested.body.error.message).toContain(`sudo holdfast-agent allow-path ${readOnly} --write`);
    expect(tested.body.error.details.dropIn).toContain(`ReadWritePaths="${readOnly}"`);
  });

  it("dumps PostgreSQL and MariaDB over their unix sockets in a read-only /run", async () => {
    const pg = await createScratchDatabase("hf_sandbox_pg");
    const my = createScratchMysql("hf_sandbox_my");
    try {
      const sources = [
        await datasource("pg over /run/postgresql", "postgres", { host: "/run/postgresql", database: pg.name, username: "postgres" }),
        await datasource("mariadb over /run/mysqld", "mysql", { host: "/run/mysqld/mysqld.sock", database: my.name, username: "root" }),
      ];
      for (const id of sources) {
        const tested = await client.post(`/datasources/${id}/test`);
        expect(tested.status, JSON.stringify(tested.body)).toBe(200);
        const backup = await client.post(`/datasources/${id}/backups`, { destinationIds: [destinationId] });
        const run = await waitForRun(client, backup.body.runId, (r) => ["completed", "failed"].includes(r.state));
        expect(run, JSON.stringify(run.error)).toMatchObject({ state: "completed" });
      }
    } finally {
      await pg.drop();
      my.drop();
    }
  });
});
