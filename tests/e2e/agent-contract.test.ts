import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { EventEnvelope } from "@holdfast/shared";
import { FakeControlPlane } from "../support/fake-control-plane.js";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { AGENT_BIN, ManagedProcess, runCli, tempDir, waitFor } from "../support/processes.js";
import { loadBulkData } from "../support/sample-data.js";

// A real agent process, a real PostgreSQL, and a stand-in control plane that can send what the
// real one has no route for yet (scheduled triggers) and records every event exactly as sent.

type RunningAgent = { process: ManagedProcess; dataDir: string; tmp: string; env: Record<string, string> };

let source: ScratchDatabase;
const agents: ManagedProcess[] = [];
const fakes: FakeControlPlane[] = [];

beforeAll(async () => {
  source = await createScratchDatabase("hf_contract");
  await loadBulkData(source.url, 60);
});
afterEach(async () => {
  for (const a of agents.splice(0)) await a.kill();
  for (const f of fakes.splice(0)) await f.close();
});
afterAll(async () => {
  await source?.drop();
});

async function agentWith(env: Record<string, string> = {}): Promise<{ cp: FakeControlPlane; agent: RunningAgent; start(): void }> {
  const cp = await FakeControlPlane.start();
  fakes.push(cp);
  const dataDir = tempDir("contract-agent");
  const tmp = tempDir("contract-tmp");
  const fullEnv = { TMPDIR: tmp, ...env };
  const enrolled = await runCli(AGENT_BIN, ["enroll", "--server", cp.url, "--data-dir", dataDir, "--token", "hf_enr_fake-token-for-the-stand-in"], { env: fullEnv });
  expect(enrolled.code, enrolled.stderr).toBe(0);
  const agent: RunningAgent = { process: undefined as unknown as ManagedProcess, dataDir, tmp, env: fullEnv };
  const start = () => {
    agent.process = ManagedProcess.start(AGENT_BIN, ["run", "--data-dir", dataDir], fullEnv);
    agents.push(agent.process);
  };
  start();
  await cp.waitForAgent();
  await cp.command("createDatabaseConfig", {
    datasourceId: "ds_bulk",
    name: "bulk",
    engine: "postgres",
    connection: { host: "127.0.0.1", port: 5432, database: source.name, username: "postgres" },
    maxDurationMinutes: 60,
  }, "create-ds_bulk");
  return { cp, agent, start };
}

const start = (cp: FakeControlPlane, runId: string, trigger: "manual" | "schedule" = "manual") =>
  cp.command("startBackup", { runId, datasourceId: "ds_bulk", trigger, ...(trigger === "schedule" ? { scheduleId: `sch_${runId}` } : {}), requestedBy: "e2e" }, `start-${runId}`);

/** pg_dump processes the agent has spawned that are still alive. */
function childDumps(pid: number): string[] {
  const out = spawnSync("pgrep", ["-P", String(pid), "-x", "pg_dump"], { encoding: "utf8" });
  return out.stdout.split("\n").filter(Boolean);
}

/** Every file left under the agent's temp dir, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)));
}

function unique(events: EventEnvelope[]): EventEnvelope[] {
  const seen = new Set<string>();
  return events.filter((e) => (seen.has(e.eventId) ? false : (seen.add(e.eventId), true)));
}

describe("the agent's contract across faults", () => {
  it("after kill -9 mid-dump, fails the run as retryable, keeps the queue in order and leaves no partial staging", async () => {
    const { cp, agent, start: restart } = await agentWith();
    expect((await start(cp, "run_k1")).statusCode).toBe(202);
    const q2 = await start(cp, "run_k2", "schedule");
    const q3 = await start(cp, "run_k3", "schedule");
    expect([q2.statusCode, q3.statusCode]).toEqual([202, 202]);
    expect([(q2.data as { state: string }).state, (q3.data as { state: string }).state]).toEqual(["queued", "queued"]);

    await cp.waitForEvent("the first dump to be under way", (e) => e.runId === "run_k1" && e.type === "backupProgress");
    await agent.process.kill();
    restart();

    const failed = await cp.waitForEvent("run_k1 to fail", (e) => e.runId === "run_k1" && e.type === "backupFailed");
    expect(failed.data).toMatchObject({ error: { code: "AGENT_RESTARTED", retryable: true } });
    await cp.waitForEvent("run_k3 to complete", (e) => e.runId === "run_k3" && e.type === "backupCompleted", 120_000);

    const events = unique(cp.events);
    const startedOrder = events.filter((e) => e.type === "backupStarted").map((e) => e.runId);
    expect(startedOrder).toEqual(["run_k1", "run_k2", "run_k3"]);
    expect(events.filter((e) => e.type === "backupCompleted").map((e) => e.runId)).toEqual(["run_k2", "run_k3"]);
    // Sequences stay strictly increasing across the restart.
    const seqs = events.map((e) => e.sequence);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    // The killed run's partial artifact is gone; the two finished artifacts remain, nothing partial.
    const left = filesUnder(agent.tmp);
    expect(left.filter((f) => f.includes("run_k1"))).toEqual([]);
    expect(left.filter((f) => f.endsWith(".partial"))).toEqual([]);
    expect(left.filter((f) => /run_k[23]/.test(f))).toHaveLength(2);
  });

  it("on SIGTERM mid-dump, stops within 10 s, fails the run as retryable AGENT_STOPPING and removes its staging", async () => {
    const { cp, agent, start: restart } = await agentWith();
    expect((await start(cp, "run_t1")).statusCode).toBe(202);
    await cp.waitForEvent("the dump to be under way", (e) => e.runId === "run_t1" && e.type === "backupProgress");
    agent.process.child.kill("SIGTERM");
    await waitFor("the agent to exit after SIGTERM", () => !agent.process.running, 10_000);
    expect(agent.process.child.exitCode).toBe(0);
    expect(filesUnder(agent.tmp).filter((f) => f.includes("run_t1"))).toEqual([]);

    restart(); // whatever the agent could not flush before exiting, it replays now
    const failed = await cp.waitForEvent("run_t1 to fail", (e) => e.runId === "run_t1" && e.type === "backupFailed");
    expect(failed.data).toMatchObject({ error: { code: "AGENT_STOPPING", retryable: true } });
  });

  it("refuses a queue overflow with 429 and expires a queued run past its TTL with an event", async () => {
    const { cp } = await agentWith({ HOLDFAST_MAX_QUEUE_SIZE: "1", HOLDFAST_QUEUE_TTL_MS: "300" });
    expect((await start(cp, "run_q1")).statusCode).toBe(202);
    expect((await start(cp, "run_q2", "schedule")).statusCode).toBe(202);
    const overflow = await start(cp, "run_q3", "schedule");
    expect(overflow).toMatchObject({ statusCode: 429, success: false, error: { code: "QUEUE_OVERFLOW" } });

    const expired = await cp.waitForEvent("run_q2 to expire", (e) => e.runId === "run_q2" && e.type === "backupExpired");
    expect(expired.data).toMatchObject({ queuedAt: expect.any(String) });
    const status = await cp.command("getExecutionStatus", { runId: "run_q2" });
    expect(status.data).toMatchObject({ state: "expired", queuedPosition: null });
    // An expired run never ran.
    expect(cp.eventsOf("run_q2").map((e) => e.type)).not.toContain("backupStarted");
  });

  it("answers 410 ARTIFACT_EXPIRED for an artifact past its TTL, after telling the control plane", async () => {
    const { cp } = await agentWith({ HOLDFAST_ARTIFACT_TTL_MS: "1000" });
    expect((await start(cp, "run_e1")).statusCode).toBe(202);
    await cp.waitForEvent("run_e1 to complete", (e) => e.runId === "run_e1" && e.type === "backupCompleted");
    await cp.waitForEvent("the artifact to expire", (e) => e.runId === "run_e1" && e.type === "artifactExpired");
    const meta = await cp.command("getArtifactMetadata", { runId: "run_e1" });
    expect(meta).toMatchObject({ statusCode: 410, error: { code: "ARTIFACT_EXPIRED" } });
    const read = await cp.command("readArtifact", { runId: "run_e1", offset: 0, uploadToken: "u".repeat(43) });
    expect(read).toMatchObject({ statusCode: 410, error: { code: "ARTIFACT_EXPIRED" } });
  });

  it("cancels a running dump: no pg_dump left, staging removed, the run ends cancelled", async () => {
    const { cp, agent } = await agentWith();
    expect((await start(cp, "run_c1")).statusCode).toBe(202);
    await cp.waitForEvent("the dump to be under way", (e) => e.runId === "run_c1" && e.type === "backupProgress");
    expect(childDumps(agent.process.child.pid!)).toHaveLength(1);
    const cancelled = await cp.command("cancelBackup", { runId: "run_c1" }, "cancel-run_c1");
    expect(cancelled).toMatchObject({ statusCode: 200, data: { runId: "run_c1", state: "cancelled" } });
    await cp.waitForEvent("the cancel event", (e) => e.runId === "run_c1" && e.type === "backupCancelled");
    expect(filesUnder(agent.tmp).filter((f) => f.includes("run_c1"))).toEqual([]);
    await waitFor("pg_dump to be gone", () => childDumps(agent.process.child.pid!).length === 0, 10_000);
    const again = await cp.command("cancelBackup", { runId: "run_c1" }, "cancel-run_c1-again");
    expect(again).toMatchObject({ statusCode: 409, error: { code: "INVALID_STATE_TRANSITION" } });
  });
});
