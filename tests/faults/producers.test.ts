// Producers that misbehave: a pg_dump (the stand-in of lib/stand-in-pg.ts, reached through the
// agent's HOLDFAST_PG_BIN_ROOT) that exits non-zero after writing, writes nothing, writes garbage
// and exits 0, hangs (the datasource's time limit must end it), or is killed by SIGKILL from
// outside. Each repetition picks how much it writes (and when the kill comes) from the seed. A user
// must see: no run completed, the run failed with the fault's error code, nothing left in staging,
// nothing delivered, no stand-in process left running.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { waitFor } from "../support/processes.js";
import { outcomeOf } from "./lib/aftermath.js";
import { repetitions } from "./lib/profile.js";
import { runScenario } from "./lib/results.js";
import { addAgent, addDatasource, filesUnder, type FaultAgent, type FaultRig, processAlive, startBackup, startRig, waitSettled } from "./lib/rig.js";
import { faultPids, PRODUCER_FAULTS, type ProducerFault, standInPgRoot } from "./lib/stand-in-pg.js";

const SCENARIOS: Record<ProducerFault, { title: string; code: string; reps: { full: number; ci: number } }> = {
  exitcode: { title: "producer: exits non-zero after writing", code: "DUMP_FAILED", reps: { full: 20, ci: 2 } },
  nothing: { title: "producer: writes nothing, exits 0", code: "DUMP_FAILED", reps: { full: 20, ci: 2 } },
  garbage: { title: "producer: writes garbage, exits 0", code: "DUMP_FAILED", reps: { full: 20, ci: 2 } },
  hang: { title: "producer: hangs past the time limit", code: "RUN_TIMEOUT", reps: { full: 4, ci: 2 } },
  killed: { title: "producer: killed by SIGKILL from outside", code: "DUMP_FAILED", reps: { full: 20, ci: 2 } },
};

let rig: FaultRig;
let root: string;
let agent: FaultAgent;
const databases = new Map<ProducerFault, ScratchDatabase>();

beforeAll(async () => {
  root = standInPgRoot();
  rig = await startRig();
  agent = await addAgent(rig, { HOLDFAST_PG_BIN_ROOT: root });
  for (const fault of PRODUCER_FAULTS) databases.set(fault, await createScratchDatabase(`flt_${fault}`));
});
afterAll(async () => {
  await rig?.stop();
  for (const db of databases.values()) await db.drop();
});

/** What a user would notice after a producer's fault: each problem as a sentence. */
function problemsOf(run: any, fault: ProducerFault, on: FaultAgent, pids: number[]): string[] {
  return [...runProblems(run, fault, on), ...processProblems(pids)];
}

function runProblems(run: any, fault: ProducerFault, on: FaultAgent): string[] {
  const problems: string[] = [];
  if (run.state === "completed") problems.push(`run ${run.runId} completed (${run.sizeBytes ?? "?"} bytes)`);
  else if (run.error?.code !== SCENARIOS[fault].code) problems.push(`run ${run.runId} ended ${run.state} with ${run.error?.code ?? "no error"}, not ${SCENARIOS[fault].code}`);
  const left = filesUnder(on.tmp);
  if (left.length > 0) problems.push(`left in the agent's temp dir: ${left.join(", ")}`);
  const delivered = filesUnder(rig.destination).filter((f) => f.includes(run.runId));
  if (delivered.length > 0) problems.push(`delivered: ${delivered.join(", ")}`);
  return problems;
}

function processProblems(pids: number[]): string[] {
  const problems: string[] = [];
  const alive = pids.filter(processAlive);
  if (alive.length > 0) problems.push(`stand-in pg_dump still running: ${alive.join(", ")}`);
  if (pids.length !== 1) problems.push(`${pids.length} pg_dump starts for one run`);
  return problems;
}

async function oneRun(on: FaultAgent, datasourceId: string, fault: ProducerFault, bytes: number, killAfterMs: number | null, note: (o: string) => void): Promise<string[]> {
  writeFileSync(path.join(root, `${fault}.bytes`), String(bytes));
  const before = new Set(faultPids(root, fault));
  const runId = await startBackup(rig, datasourceId);
  const fresh = () => faultPids(root, fault).filter((p) => !before.has(p));
  if (killAfterMs !== null) {
    const [pid] = await waitFor(`the stand-in pg_dump of ${runId}`, () => (fresh().length > 0 ? fresh() : undefined));
    await new Promise((r) => setTimeout(r, killAfterMs));
    process.kill(pid!, "SIGKILL");
  }
  const run = await waitSettled(rig.client, runId, 240_000);
  note(outcomeOf(run));
  return problemsOf(run, fault, on, fresh());
}

describe("producers that misbehave", () => {
  for (const fault of PRODUCER_FAULTS.filter((f) => f !== "hang")) {
    it(SCENARIOS[fault].title, async () => {
      const datasourceId = await addDatasource(rig, agent, databases.get(fault)!.name);
      const result = await runScenario(SCENARIOS[fault].title, repetitions(SCENARIOS[fault].reps), (_rep, random, note) =>
        oneRun(agent, datasourceId, fault, random.int(0, 2_000_000), fault === "killed" ? random.int(0, 1500) : null, note),
      );
      expect(result.problems).toEqual([]);
    });
  }

  // A hang ends only at the datasource's time limit (1 minute, its least): one agent per repetition,
  // side by side, so the scenario takes about a minute whatever its repetitions. Their stand-ins'
  // pid files cannot be told apart, so each repetition checks every one once all runs have ended.
  it(SCENARIOS.hang.title, async () => {
    const count = repetitions(SCENARIOS.hang.reps);
    let ended = 0;
    let allEnded = () => {};
    const everyRunEnded = new Promise<void>((resolve) => (allEnded = resolve));
    const result = await runScenario(
      SCENARIOS.hang.title,
      count,
      async (_rep, random, note) => {
        const bytes = random.int(0, 2_000_000);
        let problems: string[] = [];
        try {
          writeFileSync(path.join(root, "hang.bytes"), String(bytes));
          const own = await addAgent(rig, { HOLDFAST_PG_BIN_ROOT: root });
          const datasourceId = await addDatasource(rig, own, databases.get("hang")!.name, { maxDurationMinutes: 1 });
          const runId = await startBackup(rig, datasourceId);
          const run = await waitSettled(rig.client, runId, 240_000);
          note(outcomeOf(run));
          problems = runProblems(run, "hang", own);
        } finally {
          if (++ended === count) allEnded();
          await everyRunEnded;
        }
        const pids = faultPids(root, "hang");
        return [...problems, ...processProblems(pids).filter((p) => !p.includes("starts for one run")), ...(pids.length === count ? [] : [`${pids.length} hanging pg_dump starts for ${count} runs`])];
      },
      { concurrent: true },
    );
    expect(result.problems).toEqual([]);
  });
});
