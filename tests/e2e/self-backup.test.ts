import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3Server, type TestS3Server } from "../support/destination-servers.js";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import {
  type Agent,
  type Api,
  api,
  createAdmin,
  enrollAgent,
  HOLDFAST_BIN,
  ManagedProcess,
  runCli,
  startControlPlane,
  tempDir,
  waitFor,
  waitForAgentStatus,
  waitForRun,
} from "../support/processes.js";
import { loadAwkwardData } from "../support/sample-data.js";

/** What an operator compares after a restore: ids and hashes of everything the API lists. */
async function catalogue(client: Api) {
  const [agents, datasources, destinations, schedules, runs] = await Promise.all(
    ["/agents", "/datasources", "/destinations", "/schedules", "/runs?limit=100"].map(async (p) => {
      const res = await client.get(p);
      expect(res.status, p).toBe(200);
      return res.body.items as Array<Record<string, unknown>>;
    }),
  );
  return {
    agents: agents!.map((a) => ({ id: a.id, name: a.name })),
    datasources: datasources!.map((d) => ({ id: d.id, name: d.name, agentId: d.agentId })),
    destinations: destinations!.map((d) => ({ id: d.id, name: d.name, type: d.type })),
    schedules: schedules!.map((s) => ({ id: s.id, cron: s.cron, datasourceId: s.datasourceId })),
    runs: runs!.map((r) => ({ id: r.id, state: r.state, sha256: r.sha256 ?? (r.artifact as { sha256?: string } | null)?.sha256 ?? null })),
  };
}

// The control plane's own disaster: its catalogue exported with `backup-self` (age-encrypted),
// brought back with `restore-self` into a new data dir and into a new PostgreSQL database, and a
// control plane started there on the old address: the same agents, schedules, destinations and runs,
// the agent back online with its old key, the S3 destination's sealed secret still opening.
describe("backup-self and restore-self with real processes", () => {
  let s3: TestS3Server;
  let source: ScratchDatabase;
  const dbs: ScratchDatabase[] = [];
  const work = tempDir("self");
  const idFile = path.join(work, "age-identity.txt");
  let recipient: string;
  let agent: Agent;
  let port: number;
  let firstDataDir: string;
  let token: string;
  let before: Awaited<ReturnType<typeof catalogue>>;
  let bucketId: string;
  let running: ManagedProcess | undefined;
  const exportFile = path.join(work, "control-plane.hfx.age");

  const holdfast = (args: string[], env: Record<string, string>) => runCli(HOLDFAST_BIN, args, { env });
  /** `holdfast serve` on the old port with another data dir (and database): the host rebuilt. */
  const serveAgain = async (env: Record<string, string>): Promise<Api> => {
    running = ManagedProcess.start(HOLDFAST_BIN, ["serve", "--port", String(port)], env);
    const p = running;
    await waitFor("the restored control plane", async () => {
      if (!p.running) throw new Error(`holdfast serve exited:\n${p.output}`);
      return (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok;
    });
    return api({ url: `http://127.0.0.1:${port}` } as Parameters<typeof api>[0], token);
  };

  beforeAll(async () => {
    [s3, source] = await Promise.all([startS3Server(), createScratchDatabase("hf_self_src")]);
    dbs.push(source);
    await loadAwkwardData(source.url);
    const identity = await generateX25519Identity();
    recipient = await identityToRecipient(identity);
    await writeFile(idFile, `# public key: ${recipient}\n${identity}\n`, { mode: 0o600 });

    const cp = await startControlPlane();
    port = cp.port;
    firstDataDir = cp.dataDir;
    running = cp.process;
    token = await createAdmin(cp);
    const client = api(cp, token);
    // A short reconnect cap: the agent is back within a second or two of the new control plane.
    agent = await enrollAgent(cp, { env: { HOLDFAST_RECONNECT_CAP_MS: "1000" } });
    await agent.start();
    await waitForAgentStatus(client, agent.agentId, "online");

    const ds = await client.post("/datasources", {
      agentId: agent.agentId,
      name: "orders",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: source.name, username: "postgres" },
    });
    const folder = await client.post("/destinations", { name: "folder", type: "local", config: { path: tempDir("self-folder") } });
    const bucket = await client.post("/destinations", { name: "bucket", type: "s3", config: s3.config({ prefix: "self" }) });
    expect([ds.status, folder.status, bucket.status]).toEqual([201, 201, 201]);
    bucketId = bucket.body.id;
    const schedule = await client.post("/schedules", { datasourceId: ds.body.id, cron: "0 3 * * *", timezone: "UTC", destinationIds: [folder.body.id], name: "nightly" });
    expect(schedule.status).toBe(201);
    const started = await client.post(`/datasources/${ds.body.id}/backups`, { destinationIds: [folder.body.id, bucketId] });
    expect(started.status).toBe(202);
    await waitForRun(client, started.body.runId, (r) => r.state === "completed" && r.deliveries.every((d: { state: string }) => d.state === "completed"));
    before = await catalogue(client);
    expect(before.runs.map((r) => r.state)).toEqual(["completed"]);
    expect(before.runs[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);

    // The control plane stops (the agent keeps trying to reach it), and its catalogue is exported.
    await cp.process.stop();
    running = undefined;
    const made = await holdfast(["backup-self", "-o", exportFile, "--recipient", recipient, "--include-master-key"], cp.env);
    expect(made.stderr).not.toMatch(/\n\s+at /);
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/^.*control-plane\.hfx\.age\tsha256:[0-9a-f]{64}\n$/);
  });
  afterAll(async () => {
    await running?.stop();
    await agent?.process?.stop();
    await s3?.stop();
    for (const db of dbs) await db.drop();
    await rm(work, { recursive: true, force: true });
  });

  it("writes a 0600 age file that the age CLI opens", async () => {
    expect((await stat(exportFile)).mode & 0o777).toBe(0o600);
    const plain = gunzipSync(execFileSync("age", ["--decrypt", "-i", idFile, exportFile])).toString("utf8").split("\n");
    const header = JSON.parse(plain[0]!);
    expect(header).toMatchObject({ format: "holdfast-self-backup", dialect: "sqlite", migration: expect.stringMatching(/^\d{4}_/) });
    expect(header.tables.find((t: { name: string }) => t.name === "runs").rows).toBe(1);
    expect(JSON.parse(plain.at(-2)!)).toMatchObject({ end: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });

    // --check reads and verifies it all with the key, and touches no database.
    const dataDir = path.join(work, "checked-only");
    const checked = await holdfast(["restore-self", "--check", "-i", exportFile, "--identity-file", idFile], { HOLDFAST_DATA_DIR: dataDir });
    expect(checked.code).toBe(0);
    expect(checked.stdout).toContain("runs\t1\n");
    expect(checked.stderr).toContain("the export is whole");
    expect(existsSync(dataDir)).toBe(false);
  });

  it("refuses a damaged export or a wrong key, creating nothing", async () => {
    const bytes = await readFile(exportFile);
    const flipped = Buffer.from(bytes);
    flipped[bytes.length - 100]! ^= 0x01;
    const cut = bytes.subarray(0, bytes.length - 200);
    const otherKey = path.join(work, "other.txt");
    await writeFile(otherKey, `${await generateX25519Identity()}\n`, { mode: 0o600 });
    for (const [label, content, key, code] of [
      ["flipped", flipped, idFile, "CHECKSUM_MISMATCH"],
      ["cut", cut, idFile, "CHECKSUM_MISMATCH"],
      ["wrong-key", bytes, otherKey, "DECRYPTION_FAILED"],
    ] as const) {
      const file = path.join(work, `${label}.hfx.age`);
      await writeFile(file, content, { mode: 0o600 });
      const dataDir = path.join(work, `target-${label}`);
      const r = await holdfast(["restore-self", "-i", file, "--identity-file", key], { HOLDFAST_DATA_DIR: dataDir });
      expect(r.code, label).toBe(1);
      expect(r.stderr, label).toContain(`(${code})`);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe("");
      expect(existsSync(path.join(dataDir, "holdfast.db")), label).toBe(false);
    }
  });

  it("restores into a new data dir: same catalogue, the agent back with its old key, the sealed secret works", async () => {
    const dataDir = path.join(work, "restored-sqlite");
    const r = await holdfast(["restore-self", "-i", exportFile, "--identity-file", idFile], { HOLDFAST_DATA_DIR: dataDir });
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("runs\t1\n");
    expect(r.stdout).toContain("agents\t1\n");
    expect(await readFile(path.join(dataDir, "master.key"), "utf8")).toBe(await readFile(path.join(firstDataDir, "master.key"), "utf8"));
    expect((await stat(path.join(dataDir, "master.key"))).mode & 0o777).toBe(0o600);

    // Again into the now full database: refused, as conflict.
    const again = await holdfast(["restore-self", "-i", exportFile, "--identity-file", idFile], { HOLDFAST_DATA_DIR: dataDir });
    expect(again.code).toBe(4);
    expect(again.stderr).toContain("(RESTORE_TARGET_NOT_EMPTY)");

    const client = await serveAgain({ HOLDFAST_DATA_DIR: dataDir });
    await waitForAgentStatus(client, agent.agentId, "online");
    expect(await catalogue(client)).toEqual(before);
    const probe = await client.post(`/destinations/${bucketId}/test`);
    expect(probe.status).toBe(200);
    expect(probe.body).toMatchObject({ ok: true });
    await running!.stop();
    running = undefined;
  });

  it("restores the SQLite export into PostgreSQL, and that one's export into another PostgreSQL", async () => {
    const masterKey = (await readFile(path.join(firstDataDir, "master.key"), "utf8")).trim();
    const pgOne = await createScratchDatabase("hf_self_cp1");
    const pgTwo = await createScratchDatabase("hf_self_cp2");
    dbs.push(pgOne, pgTwo);
    const envOne = { HOLDFAST_DATA_DIR: path.join(work, "pg-one"), HOLDFAST_DATABASE_URL: pgOne.url, HOLDFAST_MASTER_KEY: masterKey };
    const r = await holdfast(["restore-self", "-i", exportFile, "--identity-file", idFile], envOne);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    let client = await serveAgain(envOne);
    await waitForAgentStatus(client, agent.agentId, "online");
    expect(await catalogue(client)).toEqual(before);
    expect((await client.post(`/destinations/${bucketId}/test`)).body).toMatchObject({ ok: true });
    await running!.stop();
    running = undefined;

    // PostgreSQL to PostgreSQL, encrypted, the key kept apart: the target names it in its environment.
    const second = path.join(work, "from-pg.hfx.age");
    const recipients = path.join(work, "recipients.txt");
    await writeFile(recipients, `# the operators' key\n${recipient}\n`);
    const made = await holdfast(["backup-self", "-o", second, "--recipient-file", recipients], envOne);
    expect(made.code).toBe(0);
    const envTwo = { HOLDFAST_DATA_DIR: path.join(work, "pg-two"), HOLDFAST_DATABASE_URL: pgTwo.url };
    const noKey = await holdfast(["restore-self", "-i", second, "--identity-file", idFile], envTwo);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain("(PRECONDITION_FAILED)");
    expect(noKey.stderr).toContain("has none");
    const restored = await holdfast(["restore-self", "-i", second, "--identity-file", idFile], { ...envTwo, HOLDFAST_MASTER_KEY: masterKey });
    expect(restored.stderr).not.toMatch(/\n\s+at /);
    expect(restored.code).toBe(0);
    client = await serveAgain({ ...envTwo, HOLDFAST_MASTER_KEY: masterKey });
    await waitForAgentStatus(client, agent.agentId, "online");
    expect(await catalogue(client)).toEqual(before);
    expect((await client.post(`/destinations/${bucketId}/test`)).body).toMatchObject({ ok: true });
  });
});
