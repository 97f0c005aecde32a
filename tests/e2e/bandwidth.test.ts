import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAdmin, HOLDFAST_BIN, runCli, type Stack, startStack, tempDir, waitFor, waitForRun } from "../support/processes.js";

const MIB = 1024 * 1024;
const delivered = (r: { state: string; deliveries: { state: string }[] }) =>
  r.state === "failed" || (r.state === "completed" && r.deliveries.length > 0 && r.deliveries.every((d) => d.state !== "pending" && d.state !== "running"));

/**
 * The agent's upload cap with the real parts: a real agent uploads its staged artifact to a real
 * control plane, which reads the body no faster than the agent's cap (TCP holds the agent back). The
 * cap is set with the operator's CLI. A lower bound on the upload's time proves the cap; the rate is
 * read from the control plane's own "artifact upload received" lines, as `npm run bench` reads it.
 */
describe("bandwidth cap on an agent's uploads, end to end", () => {
  let stack: Stack;
  let env: Record<string, string>;
  let destinationId: string;

  beforeAll(async () => {
    stack = await startStack();
    env = { HOLDFAST_SERVER: stack.cp.url, HOLDFAST_TOKEN: await createAdmin(stack.cp, "ops@example.test"), HOLDFAST_CONFIG: path.join(tempDir("bw-cli"), "cli.json") };
    destinationId = (await stack.client.post("/destinations", { name: "local", type: "local", config: { path: tempDir("bw-dest") } })).body.id;
  });
  afterAll(async () => stack?.stop());

  const holdfast = (args: string[]) => runCli(HOLDFAST_BIN, args, { env });

  /**
   * One uncompressed backup of a folder holding `mib` MiB of random bytes; its run once delivered.
   * A datasource of its own each time: with no earlier backup to size it by, the control plane
   * pulls the artifact once staged, in one upload.
   */
  async function backup(mib: number, whileRunning?: () => Promise<void>) {
    const folder = tempDir("bw-src");
    fs.writeFileSync(path.join(folder, "data.bin"), randomBytes(mib * MIB));
    const ds = await stack.client.post("/datasources", { agentId: stack.agent.agentId, name: path.basename(folder), engine: "files", connection: { path: folder } });
    expect(ds.status).toBe(201);
    const started = await stack.client.post(`/datasources/${ds.body.id}/backups`, { destinationIds: [destinationId], options: { compression: { codec: "none" } } });
    expect(started.status).toBe(202);
    await whileRunning?.();
    const run = await waitForRun(stack.client, started.body.runId, delivered);
    expect(run).toMatchObject({ state: "completed", deliveries: [expect.objectContaining({ state: "completed" })] });
    return run;
  }

  /** The control plane's upload lines of a run: bytes and milliseconds over all its requests. */
  function uploadsOf(runId: string): { bytes: number; ms: number } {
    const lines = stack.cp.process.output.split("\n").filter((l) => l.includes('"artifact upload received"') && l.includes(runId));
    return lines.map((l) => JSON.parse(l) as { bytes: number; ms: number }).reduce((a, b) => ({ bytes: a.bytes + b.bytes, ms: a.ms + b.ms }), { bytes: 0, ms: 0 });
  }

  it("refuses a cap of 0 naming the field, then receives a 2 MiB artifact capped at 1 MiB/s in no less than 1.5 s", async () => {
    const zero = await holdfast(["agents", "update", stack.agent.agentId, "--transfer-cap", "0"]);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain("transferCapMiBps");
    expect((await stack.client.get(`/agents/${stack.agent.agentId}`)).body.transferCapMiBps).toBeNull();

    const set = await holdfast(["agents", "update", stack.agent.agentId, "--transfer-cap", "1"]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stderr).toContain("upload cap 1 MiB/s");
    expect((await holdfast(["agents", "show", stack.agent.agentId])).stdout).toMatch(/^Upload cap:\s+1 MiB\/s$/m);

    const run = await backup(2);
    const upload = uploadsOf(run.runId);
    expect(upload.bytes).toBe(run.sizeBytes);
    expect(upload.bytes).toBeGreaterThan(2 * MIB);
    // 2 s at the cap; a generous band: at least 1.5 s, at least a fifth of the cap.
    expect(upload.ms).toBeGreaterThanOrEqual(1500);
    expect(upload.bytes / MIB / (upload.ms / 1000)).toBeGreaterThan(0.2);
  });

  it("lifts the cap of an upload under way (holdfast agents update --no-transfer-cap): it ends long before the old cap allowed", async () => {
    expect((await holdfast(["agents", "update", stack.agent.agentId, "--transfer-cap", "0.25"])).code).toBe(0);
    const spool = path.join(stack.cp.dataDir, "spool");
    let liftedAt = 0;
    // 4 MiB at 0.25 MiB/s: 16 s. Lifted once the first bytes are in the spool.
    const run = await backup(4, async () => {
      await waitFor("the upload's first bytes", () => fs.readdirSync(spool).some((f) => f.endsWith(".partial") && fs.statSync(path.join(spool, f)).size > 0), 30_000);
      liftedAt = Date.now();
      const lifted = await holdfast(["agents", "update", stack.agent.agentId, "--no-transfer-cap"]);
      expect(lifted.code, lifted.stderr).toBe(0);
    });
    // Delivered well before the 15 s the remaining bytes needed at 0.25 MiB/s, and before the 10 s
    // after which the control plane would have re-read the stored cap anyway: the change itself did it.
    expect(Date.now() - liftedAt).toBeLessThan(6_000);
    expect(run.sizeBytes).toBeGreaterThan(4 * MIB);
    expect((await stack.client.get(`/agents/${stack.agent.agentId}`)).body.transferCapMiBps).toBeNull();
  });
});
