// kill -9 of the agent at a seeded random point of a backup (its dump and staging, which stream
// together), of the upload (the control plane pulling the staged file), and of a restore. After the
// agent's restart: the run settles (no run left in a non-final state), a completed run's deliveries
// completed with the right hash (read again at the destination), pg_dump ran at most once per backup
// run, nothing stays in the agent's staging or the control plane's spool, and the newest backup
// restores equal to the source.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, snapshotTables, type ScratchDatabase } from "../support/postgres.js";
import { waitFor, waitForAgentStatus } from "../support/processes.js";
import { loadBulkData } from "../support/sample-data.js";
import { backupRunIds, deliveryProblems, dumpStarts, leftovers, outcomeOf, restoreProblems, settledOrStuck, strayDestinationFiles } from "./lib/aftermath.js";
import { repetitions } from "./lib/profile.js";
import { runScenario } from "./lib/results.js";
import { addAgent, addDatasource, type FaultAgent, type FaultRig, startBackup, startRig, waitSettled } from "./lib/rig.js";
import type { Random } from "./lib/seed.js";
import { standInPgRoot } from "./lib/stand-in-pg.js";

const REPS = { full: 20, ci: 2 };

let rig: FaultRig;
let root: string;
let agent: FaultAgent;
let source: ScratchDatabase;
let datasourceId: string;
/** A clean run's durations (ms), measured once: the random points are drawn within them. */
const clean = { backup: 0, upload: 0, restore: 0 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  root = standInPgRoot();
  source = await createScratchDatabase("flt_src");
  await loadBulkData(source.url, 16);
  rig = await startRig();
  agent = await addAgent(rig, { HOLDFAST_PG_BIN_ROOT: root });
  datasourceId = await addDatasource(rig, agent, source.name);
  const t0 = Date.now();
  const runId = await startBackup(rig, datasourceId);
  const run = await waitSettled(rig.client, runId);
  expect(run.state).toBe("completed");
  clean.backup = Date.parse(run.finishedAt) - t0;
  clean.upload = Math.max(200, Date.now() - Date.parse(run.finishedAt));
  const target = await createScratchDatabase("flt_rst");
  const targetId = await addDatasource(rig, agent, target.name);
  const r0 = Date.now();
  const restore = await rig.client.post(`/runs/${runId}/restore`, { targetDatasourceId: targetId });
  const restored = await waitSettled(rig.client, restore.body.runId);
  expect(restored.state).toBe("completed");
  clean.restore = Date.now() - r0;
  await target.drop();
  console.log(`clean run: backup ${clean.backup} ms, upload ${clean.upload} ms, restore ${clean.restore} ms`);
}, 300_000);
afterAll(async () => {
  await rig?.stop();
  await source?.drop();
});

async function killAndRestartAgent(): Promise<void> {
  await agent.process!.kill();
  await agent.start();
  await waitForAgentStatus(rig.client, agent.agentId, "online");
}

/** The checks after a kill, for the run the repetition started (and the backups it may have caused). */
async function aftermath(runId: string, runsBefore: Set<string>, startsBefore: number, note: (o: string) => void): Promise<string[]> {
  const { run, problems } = await settledOrStuck(rig, runId);
  note(outcomeOf(run));
  if (run) problems.push(...(await deliveryProblems(run)));
  const newRuns = (await backupRunIds(rig, datasourceId)).filter((id) => !runsBefore.has(id));
  for (const id of newRuns.filter((id) => id !== runId)) {
    const other = await settledOrStuck(rig, id);
    problems.push(...other.problems, ...(other.run ? await deliveryProblems(other.run) : []));
  }
  const starts = dumpStarts(root) - startsBefore;
  if (starts > newRuns.length) problems.push(`${starts} pg_dump executions for ${newRuns.length} backup run(s)`);
  problems.push(...(await leftovers(agent.tmp, "the agent's temp dir")), ...(await leftovers(path.join(rig.cp.dataDir, "spool"), "the control plane's spool")));
  problems.push(...(await strayDestinationFiles(rig)));
  problems.push(...(await restoreProblems(rig, datasourceId, source.url)));
  return problems;
}

async function backupRound(kill: (runId: string, random: Random) => Promise<void>, random: Random, note: (o: string) => void): Promise<string[]> {
  const runsBefore = new Set(await backupRunIds(rig, datasourceId));
  const startsBefore = dumpStarts(root);
  const runId = await startBackup(rig, datasourceId);
  await kill(runId, random);
  await killAndRestartAgent();
  return aftermath(runId, runsBefore, startsBefore, note);
}

describe("kill -9 of the agent", () => {
  it("agent kill -9 during dump and staging", async () => {
    const result = await runScenario("agent kill -9: dump and staging", repetitions(REPS), (_rep, random, note) =>
      backupRound(async () => {
        await sleep(random.int(0, Math.round(clean.backup * 1.1)));
      }, random, note),
    );
    expect(result.problems).toEqual([]);
  });

  it("agent kill -9 during the upload", async () => {
    const result = await runScenario("agent kill -9: upload", repetitions(REPS), (_rep, random, note) =>
      backupRound(async (runId) => {
        const delay = random.int(0, Math.round(clean.upload * 1.5));
        // From the run's completion on, the control plane pulls the staged file.
        await waitSettledOrCompleted(runId);
        await sleep(delay);
      }, random, note),
    );
    expect(result.problems).toEqual([]);
  });

  it("agent kill -9 during a restore", async () => {
    const result = await runScenario("agent kill -9: restore", repetitions(REPS), async (_rep, random, note) => {
      const delay = random.int(0, Math.round(clean.restore * 1.1));
      const newest = (await rig.client.get(`/runs?datasourceId=${datasourceId}&kind=backup&state=completed&limit=1`)).body.items[0];
      const target = await createScratchDatabase("flt_rst");
      try {
        const targetId = await addDatasource(rig, agent, target.name);
        const started = await rig.client.post(`/runs/${newest.runId}/restore`, { targetDatasourceId: targetId });
        if (started.status !== 202) return [`restore refused: ${started.status} ${JSON.stringify(started.body)}`];
        await sleep(delay);
        await killAndRestartAgent();
        const { run, problems } = await settledOrStuck(rig, started.body.runId);
        note(outcomeOf(run));
        if (run?.state === "completed") {
          const [before, after] = await Promise.all([snapshotOf(source.url), snapshotOf(target.url)]);
          if (before !== after) problems.push(`restore ${run.runId} completed but the target differs from the source`);
        }
        problems.push(...(await leftovers(agent.tmp, "the agent's temp dir")));
        return problems;
      } finally {
        await target.drop();
      }
    });
    expect(result.problems).toEqual([]);
  });
});

/** Until the run left queued/running (polled every 20 ms: the upload starts right after). */
async function waitSettledOrCompleted(runId: string): Promise<void> {
  await waitFor(`run ${runId} to end its backup`, async () => {
    const r = await rig.client.get(`/runs/${runId}`);
    return r.status === 200 && r.body.state !== "queued" && r.body.state !== "running";
  }, 180_000);
}

async function snapshotOf(url: string): Promise<string> {
  return JSON.stringify(await snapshotTables(url));
}
