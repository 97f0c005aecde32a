import type { LiveEvent } from "@holdfast/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LiveEventClient } from "../../control-plane/src/testing/live-event-client.js";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { type Stack, startStack, tempDir } from "../support/processes.js";
import { loadBulkData } from "../support/sample-data.js";

// A console's view of a backup: the real control plane (its own database on PostgreSQL, so the
// PostgreSQL triggers write the feed), the real agent, a real PostgreSQL source. The test subscribes
// and only listens: no polling of the API.
describe("live events of a backup, end to end", () => {
  let controlPlaneDb: ScratchDatabase;
  let source: ScratchDatabase;
  let stack: Stack;
  let viewer: string;
  let datasourceId: string;
  let destinationId: string;

  beforeAll(async () => {
    controlPlaneDb = await createScratchDatabase("hf_cp_events");
    source = await createScratchDatabase("hf_src_events");
    await loadBulkData(source.url, 8);
    stack = await startStack({ databaseUrl: controlPlaneDb.url });
    const email = "viewer@example.test";
    const user = await stack.cp.cli(["user", "create", "--email", email, "--role", "viewer", "--password-stdin"], "correct horse battery staple\n");
    expect(user.code, user.stderr).toBe(0);
    const token = await stack.cp.cli(["api-token", "create", "--email", email]);
    expect(token.code, token.stderr).toBe(0);
    viewer = token.stdout.trim();
    const ds = await stack.client.post("/datasources", {
      agentId: stack.agent.agentId,
      name: "events-source",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: source.name, username: "postgres" },
    });
    expect(ds.status, JSON.stringify(ds.body)).toBe(201);
    datasourceId = ds.body.id;
    const dest = await stack.client.post("/destinations", { name: "folder", type: "local", config: { path: tempDir("events-dest") } });
    expect(dest.status, JSON.stringify(dest.body)).toBe(201);
    destinationId = dest.body.id;
  });
  afterAll(async () => {
    await stack?.stop();
    await source?.drop();
    await controlPlaneDb?.drop();
  });

  it("shows queued, running, progress, completed and the delivery completed, in order", async () => {
    const client = await LiveEventClient.open(stack.cp.url, viewer);
    await client.waitFor("ready", (e) => e.type === "ready");
    const started = await stack.client.post(`/datasources/${datasourceId}/backups`, { destinationIds: [destinationId] });
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    const runId = started.body.runId as string;
    await client.waitFor("the delivery completed", (e) => e.type === "delivery.state" && e.runId === runId && e.state === "completed", 120_000);
    client.close();

    const ofRun = client.events.filter((e): e is Exclude<LiveEvent, { type: "ready" | "resync" | "agent.status" }> => "runId" in e && e.runId === runId);
    const steps = ofRun.map((e) => (e.type === "run.state" ? `run ${e.state}` : e.type === "delivery.state" ? `delivery ${e.state}` : "progress"));
    // Progress comes while the run runs; the delivery starts once the artifact reached the control plane.
    const collapsed = steps.filter((s, i) => s !== "progress" || steps[i - 1] !== "progress");
    expect(collapsed).toEqual(["run queued", "delivery pending", "run running", "progress", "run completed", "delivery running", "delivery completed"]);
    const ids = ofRun.map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(ofRun.find((e) => e.type === "run.state" && e.state === "completed")).toMatchObject({ datasourceId, kind: "backup", trigger: "manual", errorCode: null });
    const progress = ofRun.find((e) => e.type === "run.progress");
    expect(progress).toMatchObject({ step: "dump", bytes: expect.any(Number) });
    expect(ofRun.find((e) => e.type === "delivery.state" && e.state === "completed")).toMatchObject({ destinationId, attempts: 1, errorCode: null });
  });
});
