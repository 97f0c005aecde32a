// `npm run bench -- memory [flags]`: the agent's own memory (its process, not pg_dump's or zstd's).
// For each repetition and each size, a fresh agent process: idle RSS (VmRSS) some seconds after it is
// online, then its peak RSS during a backup of a pgbench database of that size with the agent's
// default options: the highest VmRSS sampled every 100 ms during the backup, and VmHWM (the kernel's
// high-water mark, start-up included) at its end. Targets: idle <= 55 MiB; peak <= 100 MiB at every
// size (flat, not growing with the database).
// Flags: --pairs N (repetitions, 5), --memory-mb 1024,4096, --idle-seconds 5, --quick (2 repetitions,
//   --memory-mb 32, no write), --write, --no-write
import { tempDir, waitForAgentStatus } from "../support/processes.js";
import { ensureDatabase } from "./lib/databases.js";
import { describeMachine } from "./lib/machine.js";
import { benchOptions } from "./lib/options.js";
import { printSection, spread, verdict, writeSection, type Section } from "./lib/report.js";
import { addDatasource, addLocalDestination, backupAndWait, benchStack, dropArtifact, rssMiB, sampleRss } from "./lib/stack.js";
import { summarize, type Target } from "./lib/stats.js";

const opts = benchOptions({ "memory-mb": { type: "string" }, "idle-seconds": { type: "string" } }, { "memory-mb": "32" });
const sizes = opts.pick("memory-mb", "1024,4096").split(",").map(Number);
const idleSeconds = Number(opts.pick("idle-seconds", "5"));
const IDLE: Target = { op: "<=", limit: 55 };
const PEAK: Target = { op: "<=", limit: 100 };

const machine = describeMachine();
const databases = new Map<number, string>();
for (const mb of sizes) databases.set(mb, await ensureDatabase("pgbench", mb));

const stack = await benchStack();
const idle = new Map<number, number[]>(sizes.map((s) => [s, []]));
const sampled = new Map<number, number[]>(sizes.map((s) => [s, []]));
const hwm = new Map<number, number[]>(sizes.map((s) => [s, []]));
try {
  const dest = await addLocalDestination(stack.client, tempDir("bench-dest"), "bench");
  const datasources = new Map<number, string>();
  for (const [mb, db] of databases) datasources.set(mb, await addDatasource(stack.client, stack.agent.agentId, db));
  for (let rep = 1; rep <= opts.pairs; rep++) {
    for (const mb of sizes) {
      // A fresh process each time: VmHWM then covers this backup alone (and the start-up before it).
      await stack.agent.process?.stop();
      await waitForAgentStatus(stack.client, stack.agent.agentId, "offline");
      await stack.agent.start();
      await waitForAgentStatus(stack.client, stack.agent.agentId, "online");
      const pid = stack.agent.process!.child.pid!;
      await new Promise((ok) => setTimeout(ok, idleSeconds * 1000));
      idle.get(mb)!.push(rssMiB(pid));
      const sampler = sampleRss(pid);
      const { run } = await backupAndWait(stack.client, datasources.get(mb)!, { destinationIds: [dest] });
      sampled.get(mb)!.push(sampler.stop());
      hwm.get(mb)!.push(rssMiB(pid, "VmHWM"));
      await dropArtifact(stack.client, run.runId);
      process.stderr.write(`  memory ${mb} MiB: repetition ${rep}/${opts.pairs}: idle ${idle.get(mb)!.at(-1)!.toFixed(0)}, peak ${sampled.get(mb)!.at(-1)!.toFixed(0)} (VmHWM ${hwm.get(mb)!.at(-1)!.toFixed(0)}) MiB\n`);
    }
  }
} finally {
  await stack.stop();
}

const rows: string[][] = [];
for (const mb of sizes) {
  const i = summarize(idle.get(mb)!);
  const p = summarize(sampled.get(mb)!);
  const h = summarize(hwm.get(mb)!);
  rows.push([`${mb} MiB`, `idle RSS ${idleSeconds} s after online`, spread(i, 0), verdict(i, IDLE)]);
  rows.push([`${mb} MiB`, "peak RSS during the backup (sampled)", spread(p, 0), verdict(p, PEAK)]);
  rows.push([`${mb} MiB`, "VmHWM at the end (start-up included)", spread(h, 0), verdict(h, PEAK)]);
}
const section: Section = {
  name: "memory",
  title: "Agent memory",
  params: `pgbench databases of ${sizes.join(", ")} MiB, the agent's default backup options, ${opts.pairs} repetitions, a fresh agent process each`,
  tables: [{ headers: ["database", "figure", "MiB", "target"], rows }],
  notes: ["MiB: median (min–max) over the repetitions; the agent's process only (pg_dump and codec tools are children with their own memory)."],
};
printSection(section, machine);
if (opts.write) writeSection(section, machine);
