import { cp as copyDir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { generateX25519Identity, identityToRecipient } from "age-encryption";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase, snapshotTables } from "../support/postgres.js";
import { AGENT_BIN, runCli, type Stack, startStack, tempDir, waitForRun } from "../support/processes.js";
import { loadAwkwardData, loadBulkData } from "../support/sample-data.js";

// The worst day: the control plane and its data are gone, only the destination folder is left.
// A PostgreSQL backup split in parts and age-encrypted is restored on the database host by
// `holdfast-agent restore --from`, from the folder alone; a copy with one byte flipped is refused.
describe("disaster restore: no control plane, the destination folder alone", () => {
  let stack: Stack;
  let source: ScratchDatabase;
  const dbs: ScratchDatabase[] = [];
  const work = tempDir("dr");
  const keyFile = path.join(work, "backup.key");
  let folder: string;
  let first: string;

  const agentCli = (args: string[]) => runCli(AGENT_BIN, args);
  const configFor = async (db: ScratchDatabase) => {
    const file = path.join(work, `${db.name}.json`);
    await writeFile(file, JSON.stringify({ engine: "postgres", connection: { host: "127.0.0.1", port: 5432, database: db.name, username: "postgres" } }), { mode: 0o600 });
    return file;
  };

  beforeAll(async () => {
    [stack, source] = await Promise.all([startStack(), createScratchDatabase("hf_dr_src")]);
    dbs.push(source);
    await loadAwkwardData(source.url);
    // About 3 MB of poorly compressible rows: the gzip artifact is over 1 MiB, so it splits.
    await loadBulkData(source.url, 3);
    const identity = await generateX25519Identity();
    await writeFile(keyFile, `# public key: ${await identityToRecipient(identity)}\n${identity}\n`, { mode: 0o600 });

    const { client, agent } = stack;
    const ds = await client.post("/datasources", {
      agentId: agent.agentId,
      name: "orders",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: source.name, username: "postgres" },
    });
    folder = tempDir("dr-folder");
    const local = await client.post("/destinations", { name: "folder", type: "local", config: { path: folder } });
    expect([ds.status, local.status]).toEqual([201, 201]);
    const started = await client.post(`/datasources/${ds.body.id}/backups`, {
      destinationIds: [local.body.id],
      options: { maxFileSizeMb: 1, encryption: { recipient: await identityToRecipient(identity) } },
    });
    expect(started.status).toBe(202);
    const runId = started.body.runId as string;
    const run = await waitForRun(client, runId, (r) => r.state === "failed" || (r.state === "completed" && r.deliveries.every((d: { state: string }) => d.state !== "pending" && d.state !== "running")));
    expect(run).toMatchObject({ state: "completed" });
    expect(run.artifact.parts.length).toBeGreaterThanOrEqual(2);
    const [delivery] = (await client.get(`/runs/${runId}/deliveries`)).body.items as { state: string; path: string }[];
    expect(delivery!.state).toBe("completed");
    first = `${delivery!.path}.part0001`;
    expect(first).toMatch(/\.sql\.gz\.age\.part0001$/);

    // The control plane is lost with everything it knew.
    await stack.stop();
    await rm(stack.cp.dataDir, { recursive: true, force: true });
  });
  afterAll(async () => {
    await stack?.stop();
    for (const db of dbs) await db.drop();
    await rm(work, { recursive: true, force: true });
    if (folder) await rm(folder, { recursive: true, force: true });
  });

  it("verify checks every part and the whole, and the key opens it", async () => {
    const r = await agentCli(["verify", "--from", first, "--identity-file", keyFile]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: run \S+ \(postgres\), \d+ file\(s\), \d+ bytes, SHA-256 [0-9a-f]{64}, encrypted \(the identity opens it\)\n$/);
    expect(r.stderr).toContain("verify: part 2 of");
    expect(r.stderr).toContain("verify: the whole artifact matches its SHA-256");
  });

  it("restores the database from the folder alone, equal table by table to the source", async () => {
    const target = await createScratchDatabase("hf_dr_dst");
    dbs.push(target);
    const r = await agentCli(["restore", "--from", first, "--to", await configFor(target), "--identity-file", keyFile]);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^restored run \\S+ \\(postgres, \\d+ bytes\\) into .*${target.name}.* in [\\d.]+ s\\n$`));
    expect(r.stderr).toContain("decrypt: the identity opens the artifact's header");
    expect(r.stderr).toMatch(/restore: \d+ of \d+ bytes/);
    const [before, after] = await Promise.all([snapshotTables(source.url), snapshotTables(target.url)]);
    expect(Object.keys(after).length).toBeGreaterThan(0);
    expect(after).toEqual(before);

    // Again into the now full database: refused as a normal restore is, unless --overwrite.
    const again = await agentCli(["restore", "--from", first, "--to", await configFor(target), "--identity-file", keyFile]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("[RESTORE_TARGET_NOT_EMPTY]");
    expect(await snapshotTables(target.url)).toEqual(before);
  });

  it("refuses a copy with one byte of one part flipped, leaving the target as it was, even with --overwrite", async () => {
    const damaged = tempDir("dr-damaged");
    await copyDir(path.dirname(first), damaged, { recursive: true });
    const parts = (await readdir(damaged)).filter((f) => /\.part\d+$/.test(f)).sort();
    const victim = path.join(damaged, parts[1]!);
    const bytes = await readFile(victim);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await writeFile(victim, bytes);
    const from = path.join(damaged, path.basename(first));

    const checked = await agentCli(["verify", "--from", from]);
    expect(checked.code).toBe(1);
    expect(checked.stderr).toContain(`part 2 of ${parts.length} does not match its SHA-256`);
    expect(checked.stdout).toBe("");

    const target = await createScratchDatabase("hf_dr_keep");
    dbs.push(target);
    const sql = postgres(target.url, { max: 1, onnotice: () => {} });
    await sql.unsafe("CREATE TABLE keep (id int primary key, note text); INSERT INTO keep VALUES (1, 'still here')");
    await sql.end();
    const untouched = await snapshotTables(target.url);
    const r = await agentCli(["restore", "--from", from, "--to", await configFor(target), "--identity-file", keyFile, "--overwrite"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("[CHECKSUM_MISMATCH]");
    expect(r.stderr).toContain("the target was not touched");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await snapshotTables(target.url)).toEqual(untouched);
    await rm(damaged, { recursive: true, force: true });
  });

  it("refuses without the sidecar, or without the key, before touching the target", async () => {
    const target = await createScratchDatabase("hf_dr_empty");
    dbs.push(target);
    const config = await configFor(target);
    const noKey = await agentCli(["restore", "--from", first, "--to", config]);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain("[DECRYPTION_FAILED]");

    const bare = tempDir("dr-bare");
    await copyDir(path.dirname(first), bare, { recursive: true });
    await rm(path.join(bare, path.basename(first).replace(/\.part0001$/, ".json")));
    const noSidecar = await agentCli(["restore", "--from", path.join(bare, path.basename(first)), "--to", config, "--identity-file", keyFile]);
    expect(noSidecar.code).toBe(1);
    expect(noSidecar.stderr).toContain("No sidecar");
    expect(await snapshotTables(target.url)).toEqual({});
    await rm(bare, { recursive: true, force: true });

    const usage = await agentCli(["restore", "--from", first]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("give exactly one of --to <config> and --datasource <id>");
  });
});

