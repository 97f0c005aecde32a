// kill -9 of the control plane at a seeded random point between a backup's request and the end of
// its delivery: while it records the run, pulls the staged file from the agent into its spool, and
// writes it to the destination folder. After its restart: the run settles, a completed run's
// delivery completed (retried if need be) with the right hash read again at the destination, no
// partial file stays in the destination, pg_dump ran at most once per backup run, nothing stays in
// the agent's staging or the spool, and the newest backup restores equal to the source.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { waitForAgentStatus } from "../support/processes.js";
import { loadBulkData } from "../support/sample-data.js";
import { backupRunIds, deliveryProblems, dumpStarts, leftovers, outcomeOf, restoreProblems, settledOrStuck, strayDestinationFiles } from "./lib/aftermath.js";
import { repetitions } from "./lib/profile.js";
import { runScenario } from "./lib/results.js";
import { addAgent, addDatasource, type FaultAgent, type FaultRig, startBackup, startRig, waitSettled } from "./lib/rig.js";
import { standInPgRoot } from "./lib/stand-in-pg.js";

const REPS = { full: 20, ci: 2 };

let rig: FaultRig;
let root: string;
let agent: FaultAgent;
let source: ScratchDatabase;
let datasourceId: string;
/** A clean backup's request-to-delivered time (ms): the random points are drawn within it. */
let cleanMs = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  root = standInPgRoot();
  source = await createScratchDatabase("flt_src");
  await loadBulkData(source.url, 16);
  rig = await startRig();
  // The agent's reconnect backoff capped at 2 s: a restarted control plane is found at once.
  agent = await addAgent(rig, { HOLDFAST_PG_BIN_ROOT: root, HOLDFAST_RECONNECT_CAP_MS: "2000" });
  datasourceId = await addDatasource(rig, agent, source.name);
  const t0 = Date.now();
  const run = await waitSettled(rig.client, await startBackup(rig, datasourceId));
  expect(run.state).toBe("completed");
  cleanMs = Date.now() - t0;
  console.log(`clean run: request to delivered ${cleanMs} ms`);
}, 300_000);
afterAll(async () => {
  await rig?.stop();
  await source?.drop();
});

describe("kill -9 of the control plane", () => {
  it("control plane kill -9 during pull and delivery", async () => {
    const result = await runScenario("control plane kill -9: run, pull, delivery", repetitions(REPS), async (_rep, random, note) => {
      const delay = random.int(0, Math.round(cleanMs * 1.2));
      const runsBefore = new Set(await backupRunIds(rig, datasourceId));
      const startsBefore = dumpStarts(root);
      const runId = await startBackup(rig, datasourceId);
      await sleep(delay);
      await rig.cp.process.kill();
      await rig.cp.restart();
      await waitForAgentStatus(rig.client, agent.agentId, "online");
      const { run, problems } = await settledOrStuck(rig, runId);
      note(outcomeOf(run));
      if (run) problems.push(...(await deliveryProblems(run)));
      const newRuns = (await backupRunIds(rig, datasourceId)).filter((id) => !runsBefore.has(id));
      const starts = dumpStarts(root) - startsBefore;
      if (starts > newRuns.length) problems.push(`${starts} pg_dump executions for ${newRuns.length} backup run(s)`);
      problems.push(...(await leftovers(agent.tmp, "the agent's temp dir")), ...(await leftovers(path.join(rig.cp.dataDir, "spool"), "the control plane's spool")));
      problems.push(...(await strayDestinationFiles(rig)));
      problems.push(...(await restoreProblems(rig, datasourceId, source.url)));
      return problems;
    });
    expect(result.problems).toEqual([]);
  });
});
