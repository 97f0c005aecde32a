import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ProxiedRig, settled, startProxiedRig } from "../support/proxied-rig.js";
import { waitForRun } from "../support/processes.js";
import { sha256File } from "../support/restore.js";

/** The agent's log lines of the uploads of `runId` that followed the file while it was staged. */
function growingUploads(rig: ProxiedRig, runId: string): string[] {
  return (rig.agent.process?.output ?? "").split("\n").filter((l) => l.includes(runId) && l.includes("artifact upload") && l.includes('"growing":true'));
}

// A real agent and control plane: the pull starts on backupStarted once a comparable run gave the
// spool a size to reserve (docs/link.md §8), and the spool copy is promoted only after backupCompleted.
describe("pulling the artifact while the agent still stages it", { timeout: 300_000 }, () => {
  let rig: ProxiedRig;

  beforeAll(async () => {
    rig = await startProxiedRig(40);
  }, 300_000);
  afterAll(async () => {
    await rig?.close();
  });

  it("pulls a first run after staging, then the next while staging: both deliver the bytes the agent hashed", async () => {
    const first = await waitForRun(rig.client, (await rig.backup()).body.runId, settled);
    expect(first.state).toBe("completed");
    expect(first.deliveries[0]).toMatchObject({ state: "completed" });
    // No comparable run yet: no size to reserve, so no pull while staging.
    expect(growingUploads(rig, first.runId)).toEqual([]);
    expect(await sha256File(first.deliveries[0].path)).toBe(first.sha256);

    const second = await waitForRun(rig.client, (await rig.backup()).body.runId, settled);
    expect(second.state).toBe("completed");
    expect(second.deliveries[0]).toMatchObject({ state: "completed" });
    expect(growingUploads(rig, second.runId).length).toBeGreaterThan(0);
    expect(second.sizeBytes).toBeGreaterThan(1_000_000);
    expect(await sha256File(second.deliveries[0].path)).toBe(second.sha256);
  });

  it("resumes an upload cut while the file grows and still ends with the agent's hash", async () => {
    rig.proxy.uploadOffsets.length = 0;
    rig.proxy.cutUploadsAfter([150_000, 400_000]);
    const run = await waitForRun(rig.client, (await rig.backup()).body.runId, settled);
    expect(run.state).toBe("completed");
    expect(run.deliveries[0]).toMatchObject({ state: "completed" });
    expect(rig.proxy.cutsPending).toBe(0);
    const offsets = rig.proxy.uploadOffsets;
    expect(offsets[0]).toBe(0);
    expect(offsets.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]!).toBeGreaterThanOrEqual(offsets[i - 1]!);
    expect(growingUploads(rig, run.runId).length).toBeGreaterThan(0);
    expect(await sha256File(run.deliveries[0].path)).toBe(run.sha256);
  });
});
