import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { type Stack, startStack, tempDir, waitForRun } from "../support/processes.js";
import { settled } from "../support/proxied-rig.js";
import { sha256File } from "../support/restore.js";
import { loadBulkData } from "../support/sample-data.js";

// A real agent and control plane: a run whose artifact is many times its predecessor's (the spool's
// reservation for the pull while staging is that size + 25%) is pulled on past the estimate and
// delivered whole, the agent's hash on the destination (docs/decisions.md, "Pulling while staging").
describe("an artifact that outgrows its pull-while-staging reservation", { timeout: 300_000 }, () => {
  let stack: Stack;
  let source: ScratchDatabase;
  let dsId: string;
  let destId: string;

  beforeAll(async () => {
    source = await createScratchDatabase("hf_outgrown");
    await loadBulkData(source.url, 2);
    stack = await startStack();
    const ds = await stack.client.post("/datasources", { agentId: stack.agent.agentId, name: "bulk", engine: "postgres", connection: { host: "127.0.0.1", port: 5432, database: source.name, username: "postgres" } });
    dsId = ds.body.id;
    destId = (await stack.client.post("/destinations", { name: "local", type: "local", config: { path: tempDir("dest") } })).body.id;
  }, 300_000);
  afterAll(async () => {
    await stack?.stop();
    await source?.drop();
  });
  const backup = async () => waitForRun(stack.client, (await stack.client.post(`/datasources/${dsId}/backups`, { destinationIds: [destId] })).body.runId, settled);

  it("is pulled on past its estimate while staging and delivered whole, with no upload waited out", async () => {
    const first = await backup();
    expect(first.state).toBe("completed");
    const sql = postgres(source.url, { max: 1, onnotice: () => {} });
    await sql.unsafe(`INSERT INTO bulk SELECT g, (SELECT string_agg(md5(random()::text || g || i), '') FROM generate_series(1, 32) i) FROM generate_series(100000, ${100000 + 20 * 1024}) g`);
    await sql.end();
    const second = await backup();
    expect(second).toMatchObject({ state: "completed", deliveries: [expect.objectContaining({ state: "completed" })] });
    expect(second.sizeBytes).toBeGreaterThan(first.sizeBytes * 2);
    expect(await sha256File(second.deliveries[0].path)).toBe(second.sha256);
    const log = stack.cp.process.output.split("\n").filter((l) => l.includes(second.runId));
    expect(log.some((l) => l.includes("outgrew its reservation"))).toBe(true);
    // No upload of it was waited out (the command timeout that a stalled upload ends in).
    expect(log.filter((l) => l.includes('"end":"timeout"'))).toEqual([]);
  });
});
