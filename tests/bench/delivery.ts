// `npm run bench -- delivery [flags]`: end to end, from "run now" (POST /datasources/:id/backups) to
// the artifact delivered and verified at a local destination (every delivery completed, polled every
// 20 ms), next to the shell's
//   pg_dump | zstd -3 | tee STAGING | sha256sum && sync STAGING && cp STAGING DEST && sync DEST
// (the issue's `tee >(sha256sum) > staging && cp staging dest && sync`, with the syncs on the two
// files the agent and control plane fsync), on a pgbench database, as paired, interleaved
// repetitions. Target: agent / shell <= 1.00.
// Flags: --pairs N (5), --mb N (1024), --quick (2 pairs, 32 MiB, no write), --write, --no-write
import { rmSync } from "node:fs";
import path from "node:path";
import { tempDir } from "../support/processes.js";
import { ensureDatabase } from "./lib/databases.js";
import { describeMachine } from "./lib/machine.js";
import { benchOptions } from "./lib/options.js";
import { runPaired, timed } from "./lib/paired.js";
import { printSection, spread, spreadIqr, verdict, writeSection, type Section } from "./lib/report.js";
import { shellDelivery } from "./lib/shell-pipeline.js";
import { addDatasource, addLocalDestination, backupAndWait, benchStack, dropArtifact } from "./lib/stack.js";
import { summarize, type Target } from "./lib/stats.js";

const opts = benchOptions({});
const TARGET: Target = { op: "<=", limit: 1 };
const machine = describeMachine();
const database = await ensureDatabase("pgbench", opts.mb);

const stack = await benchStack();
let row: string[];
let breakdown: string[];
try {
  const dest = await addLocalDestination(stack.client, tempDir("bench-dest"), "bench");
  const ds = await addDatasource(stack.client, stack.agent.agentId, database);
  const shellDir = tempDir("bench-shell");
  const staging = path.join(shellDir, "staging");
  const delivered = path.join(tempDir("bench-shell-dest"), "dump.zst");
  let artifact = 0;
  // Where the agent's seconds go: POST to backupStarted (dispatch), the backup itself, backupCompleted to delivered.
  const phases = { dispatch: [] as number[], backup: [] as number[], deliver: [] as number[] };
  const agent = async () => {
    const posted = Date.now();
    const { run, elapsedS } = await backupAndWait(stack.client, ds, { destinationIds: [dest], options: { format: "plain", compression: { codec: "zstd", level: 3 } } });
    artifact = run.sizeBytes;
    const [started, finished] = [Date.parse(run.startedAt), Date.parse(run.finishedAt)];
    phases.dispatch.push((started - posted) / 1000);
    phases.backup.push((finished - started) / 1000);
    phases.deliver.push((posted + elapsedS * 1000 - finished) / 1000);
    await dropArtifact(stack.client, run.runId);
    return elapsedS;
  };
  const shell = async () => {
    const s = await timed(() => shellDelivery(staging, delivered, database, 3));
    for (const f of [staging, `${staging}.sha256`, delivered]) rmSync(f);
    return s;
  };
  // Warm-up, not measured: the database in the page cache for both sides alike.
  await shell();
  const p = await runPaired("delivery", opts.pairs, agent, shell);
  row = ["pgbench, zstd -3", spread(p.summary.a), spread(p.summary.b), spreadIqr(p.summary.ratio), verdict(p.summary.ratio, TARGET), (artifact / 2 ** 20).toFixed(1)];
  breakdown = [spread(summarize(phases.dispatch)), spread(summarize(phases.backup)), spread(summarize(phases.deliver))];
} finally {
  await stack.stop();
}

const section: Section = {
  name: "delivery",
  title: "Delivery end to end: run now to delivered",
  params: `${opts.mb} MiB pgbench database, zstd -3, a local destination, ${opts.pairs} pairs (agent, shell, agent, shell...)`,
  tables: [{ headers: ["backup", "agent s", "shell s", "agent/shell", "target", "artifact MiB"], rows: [row] }, { headers: ["agent: run now → backupStarted s", "backupStarted → backupCompleted s", "backupCompleted → delivered s"], rows: [breakdown] }],
  notes: ["Seconds and ratio: median (min–max) over the pairs, the ratio pair by pair. Agent: POST backups to every delivery completed (control plane's hash check included)."],
};
printSection(section, machine);
if (opts.write) writeSection(section, machine);
