import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProxiedRig, settled, startProxiedRig } from "../support/proxied-rig.js";
import { waitForRun } from "../support/processes.js";
import { sha256File } from "../support/restore.js";

// The agent reaches the control plane through a proxy that can cut an upload mid-stream.
describe("one slot per agent, and transfers that survive a cut", () => {
  let rig: ProxiedRig;

  beforeAll(async () => {
    rig = await startProxiedRig(40);
  });
  afterAll(async () => {
    await rig?.close();
  });

  it("refuses a manual backup while another runs, naming the running one", async () => {
    const first = await rig.backup();
    expect(first.status).toBe(202);
    const second = await rig.backup();
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: "BACKUP_ALREADY_RUNNING", retryable: true, details: { runId: first.body.runId } });

    const run = await waitForRun(rig.client, first.body.runId, settled);
    expect(run.state).toBe("completed");
  });

  it("resumes an upload cut at 20 random points, each time from its offset, and delivers bytes that match the hash", async () => {
    rig.proxy.uploadOffsets.length = 0;
    // Cut points well inside the artifact (about 20 MB): between 64 KiB and 512 KiB into each upload.
    const cuts = Array.from({ length: 20 }, () => 65_536 + Math.floor(Math.random() * 458_752));
    rig.proxy.cutUploadsAfter(cuts);
    const started = await rig.backup();
    expect(started.status).toBe(202);

    const run = await waitForRun(rig.client, started.body.runId, settled);
    expect(run.state).toBe("completed");
    expect(run.deliveries[0]).toMatchObject({ state: "completed" });
    expect(rig.proxy.cutsPending).toBe(0);
    // At least 21 uploads: the first from 0, each later one from the bytes the control plane held
    // (never going back; equal when a try brought no byte, as when the cut fell before the control
    // plane began reading the body).
    const offsets = rig.proxy.uploadOffsets;
    expect(offsets[0]).toBe(0);
    expect(offsets.length).toBeGreaterThanOrEqual(21);
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]!).toBeGreaterThanOrEqual(offsets[i - 1]!);
    expect(offsets.at(-1)).toBeGreaterThan(0);
    expect(run.sizeBytes).toBeGreaterThan(offsets.at(-1)!);
    expect(await sha256File(run.deliveries[0].path)).toBe(run.sha256);
  });
});
