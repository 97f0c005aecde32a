import fs from "node:fs";
import { CLOSE_CODES, PROTOCOL_VERSION } from "@holdfast/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeControlPlane } from "../support/fake-control-plane.js";
import { AGENT_BIN, ManagedProcess, runCli, tempDir, waitFor } from "../support/processes.js";

// The real agent process against a control plane of another protocol major: it says why in its log,
// stays up, keeps retrying at its longest backoff, and links once the control plane is "upgraded".
describe("a real agent and a control plane of another protocol", () => {
  let cp: FakeControlPlane;
  let agent: ManagedProcess;
  const dirs: string[] = [];

  beforeAll(async () => {
    cp = await FakeControlPlane.start();
    cp.protocolVersion = PROTOCOL_VERSION + 1;
    const dataDir = tempDir("protocol-agent");
    const tmp = tempDir("protocol-tmp");
    dirs.push(dataDir, tmp);
    // A short cap, so the retry this test waits for comes within a second.
    const env = { TMPDIR: tmp, HOLDFAST_RECONNECT_BASE_MS: "100", HOLDFAST_RECONNECT_CAP_MS: "800" };
    const enrolled = await runCli(AGENT_BIN, ["enroll", "--server", cp.url, "--data-dir", dataDir, "--token", "hf_enr_fake-token-for-the-stand-in"], { env });
    expect(enrolled.code, enrolled.stderr).toBe(0);
    agent = ManagedProcess.start(AGENT_BIN, ["run", "--data-dir", dataDir], env);
  }, 60_000);
  afterAll(async () => {
    await agent?.stop();
    await cp?.close();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it("announces its versions, refuses the other major with 4426, logs why as an error, and keeps retrying", async () => {
    await waitFor("two refused sessions", () => cp.closes.length >= 2);
    expect(cp.upgrades[0]).toEqual({ protocol: String(PROTOCOL_VERSION), agentVersion: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    const reason = `control plane speaks protocol ${PROTOCOL_VERSION + 1}, this agent ${PROTOCOL_VERSION}: upgrade the agent`;
    expect(cp.closes[0]).toEqual({ code: CLOSE_CODES.incompatible, reason });
    const errors = agent.output
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as { level: number; reason?: string; retryInMs?: number })
      .filter((l) => l.level === 50);
    expect(errors[0]).toMatchObject({ reason, retryInMs: 800 });
    expect(agent.running).toBe(true);
    expect(cp.connected).toBe(false);
  });

  it("links once the control plane speaks its protocol", async () => {
    cp.protocolVersion = PROTOCOL_VERSION;
    await cp.waitForAgent();
    expect(agent.running).toBe(true);
  });
});
