import { createHash } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { S3DestinationConfig } from "@holdfast/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { s3Destination } from "../../control-plane/src/destinations/s3.js";
import { startS3Server, startSftpServer, type TestS3Server, type TestSftpServer } from "../support/destination-servers.js";
import { createScratchDatabase, type ScratchDatabase, snapshotTables } from "../support/postgres.js";
import { type Stack, startStack, tempDir, waitFor, waitForRun } from "../support/processes.js";
import { loadAwkwardData, loadBulkData } from "../support/sample-data.js";

const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

// One manual backup, split at 1 MiB, delivered at once to a real S3-compatible server (s3rver), a
// real SFTP server (OpenSSH's sshd) and a local folder by real agent and control-plane processes;
// then restored through Holdfast from the S3 copy alone into a fresh database.
describe("delivery to S3, SFTP and a folder, restore from S3", () => {
  let stack: Stack;
  let s3: TestS3Server;
  let sftp: TestSftpServer;
  let source: ScratchDatabase;
  const dbs: ScratchDatabase[] = [];

  beforeAll(async () => {
    [s3, sftp, stack, source] = await Promise.all([startS3Server(), startSftpServer(), startStack(), createScratchDatabase("hf_dlv_src")]);
    dbs.push(source);
    await loadAwkwardData(source.url);
    // About 3 MB of poorly compressible rows: the gzip artifact is over 1 MiB, so it splits.
    await loadBulkData(source.url, 3);
  });
  afterAll(async () => {
    await stack?.stop();
    await Promise.all([s3?.stop(), sftp?.stop()]);
    for (const db of dbs) await db.drop();
  });

  it("delivers the parts and their sidecar to all three and restores from the S3 copy", async () => {
    const { client, agent } = stack;
    const ds = await client.post("/datasources", {
      agentId: agent.agentId,
      name: "bulk",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: source.name, username: "postgres" },
    });
    expect(ds.status).toBe(201);
    const folder = tempDir("dlv-local");
    const local = await client.post("/destinations", { name: "folder", type: "local", config: { path: folder } });
    const bucket = await client.post("/destinations", { name: "bucket", type: "s3", config: s3.config({ prefix: "e2e" }) });
    const ssh = await client.post("/destinations", { name: "ssh", type: "sftp", config: sftp.config() });
    expect([local.status, bucket.status, ssh.status]).toEqual([201, 201, 201]);

    const started = await client.post(`/datasources/${ds.body.id}/backups`, { destinationIds: [local.body.id, bucket.body.id, ssh.body.id], options: { maxFileSizeMb: 1 } });
    expect(started.status).toBe(202);
    const runId = started.body.runId as string;
    const run = await waitForRun(client, runId, (r) => r.state === "failed" || (r.state === "completed" && r.deliveries.every((d: { state: string }) => d.state === "completed" || d.state === "failed")));
    expect(run.state).toBe("completed");
    const deliveries = (await client.get(`/runs/${runId}/deliveries`)).body.items as { destinationId: string; state: string; path: string; bytes: number; attempts: number }[];
    expect(deliveries.map((d) => d.state)).toEqual(["completed", "completed", "completed"]);
    for (const d of deliveries) expect(d.bytes).toBe(run.sizeBytes);
    const parts = run.artifact.parts as { index: number; sizeBytes: number; sha256: string }[];
    expect(parts.length).toBeGreaterThanOrEqual(2);

    // Local and SFTP (the sshd serves this machine's disk): the parts join to the whole, the sidecar lists them.
    const localPath = deliveries.find((d) => d.destinationId === local.body.id)!.path;
    const name = path.relative(folder, localPath);
    expect(name).toMatch(new RegExp(`^${ds.body.id}/\\d{4}/\\d{2}/\\d{8}T\\d{6}Z_${runId}\\.sql\\.gz$`));
    for (const root of [folder, sftp.root]) {
      const files = (await readdir(path.join(root, path.dirname(name)))).sort();
      const base = path.basename(name);
      expect(files).toEqual([`${base}.json`, ...parts.map((p) => `${base}.part${String(p.index).padStart(4, "0")}`)]);
      const joined = Buffer.concat(await Promise.all(parts.map((p) => readFile(path.join(root, `${name}.part${String(p.index).padStart(4, "0")}`)))));
      expect(sha(joined)).toBe(run.sha256);
      const sidecar = JSON.parse(await readFile(path.join(root, `${name}.json`), "utf8"));
      expect(sidecar).toMatchObject({ runId, datasourceId: ds.body.id, engine: "postgres", sha256: run.sha256, sizeBytes: run.sizeBytes, format: "plain", codec: "gzip", encrypted: false });
      expect(sidecar.parts.map((p: { sha256: string }) => p.sha256)).toEqual(parts.map((p) => p.sha256));
    }
    const fromS3 = s3Destination(S3DestinationConfig.parse(s3.config({ prefix: "e2e" })));
    expect((await fromS3.list(name)).map((e) => e.name)).toEqual([`${name}.json`, ...parts.map((p) => `${name}.part${String(p.index).padStart(4, "0")}`)]);

    // Only the S3 copy is left to restore from: the folder's is removed and SFTP comes after S3.
    await rm(folder, { recursive: true, force: true });
    const target = await createScratchDatabase("hf_dlv_dst");
    dbs.push(target);
    const targetDs = await client.post("/datasources", {
      agentId: agent.agentId,
      name: "restore target",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: target.name, username: "postgres" },
    });
    const restore = await client.post(`/runs/${runId}/restore`, { targetDatasourceId: targetDs.body.id });
    expect(restore.status).toBe(202);
    const restored = await waitForRun(client, restore.body.runId, (r) => r.state === "completed" || r.state === "failed");
    expect(restored).toMatchObject({ state: "completed", error: null });
    const served = await waitFor("the download log line", () =>
      stack.cp.process.output.split("\n").find((l) => l.includes("artifact download started") && l.includes(restore.body.runId)),
    );
    expect(JSON.parse(served)).toMatchObject({ from: "destination", destinationId: bucket.body.id });
    const [before, after] = await Promise.all([snapshotTables(source.url), snapshotTables(target.url)]);
    expect(after).toEqual(before);

    // History: the run is listed under its datasource, and stats count the bytes on each destination.
    const listed = await client.get(`/runs?datasourceId=${ds.body.id}&kind=backup`);
    expect(listed.body.items.map((r: { runId: string }) => r.runId)).toEqual([runId]);
    const stats = await client.get("/stats");
    for (const id of [local.body.id, bucket.body.id, ssh.body.id]) {
      expect(stats.body.storage.find((s: { destinationId: string }) => s.destinationId === id)).toMatchObject({ bytes: run.sizeBytes, backups: 1 });
    }
    expect(stats.body.lastGoodBackup.find((b: { datasourceId: string }) => b.datasourceId === ds.body.id)).toMatchObject({ runId });
    // Every delivery ended: the spool copy is gone.
    expect(await readdir(path.join(stack.cp.dataDir, "spool"))).toEqual([]);
  });
});
