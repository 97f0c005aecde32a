// The agent's memory, idle and during backups (issue 18's targets: idle <= 55 MiB, peak <= 100 MiB):
//   node node_modules/tsx/dist/cli.mjs --conditions=@holdfast/source tests/bench/agent-memory-probe.ts \
//     [--database holdfast_bench_pgbench_1024] [--runs 3] [--codec zstd] [--node-flags="--max-semi-space-size=1"]... [--repeat 1]
// Starts a real control plane and one enrolled agent, then for each --node-flags (repeatable; "" for
// none; default: the launcher's, agent/bin/node-flags.json), --repeat times interleaved: starts the
// agent, reads /proc/PID/status VmRSS 10 s after it is online, runs --runs backups, each one's peak
// (VmHWM, reset between runs through /proc/PID/clear_refs), stops it. Prints figures; asserts nothing.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { AGENT_NODE_FLAGS, api, createAdmin, enrollAgent, startControlPlane, tempDir, waitForAgentStatus, waitForRun } from "../support/processes.js";
import { settled } from "../support/proxied-rig.js";

const { values } = parseArgs({
  options: {
    database: { type: "string", default: "holdfast_bench_pgbench_1024" },
    runs: { type: "string", default: "3" },
    codec: { type: "string", default: "zstd" },
    "node-flags": { type: "string", multiple: true },
    repeat: { type: "string", default: "1" },
  },
});
const flagSets = (values["node-flags"] ?? [AGENT_NODE_FLAGS.join(" ")]).map((set) => set.split(" ").filter(Boolean));
const compression = values.codec === "none" ? { codec: "none" } : { codec: values.codec, level: values.codec === "gzip" ? 6 : 3 };

const mib = (pid: number, field: "VmRSS" | "VmHWM") => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

const cp = await startControlPlane();
try {
  const client = api(cp, await createAdmin(cp));
  const dest = await client.post("/destinations", { name: "probe", type: "local", config: { path: tempDir("probe-dest") } });
  for (let round = 0; round < Number(values.repeat); round++) {
    for (const nodeFlags of flagSets) {
      const agent = await enrollAgent(cp, { nodeFlags });
      try {
        await agent.start();
        await waitForAgentStatus(client, agent.agentId, "online");
        const pid = agent.process!.child.pid!;
        await new Promise((r) => setTimeout(r, 10_000));
        const peaks: string[] = [];
        const ds = await client.post("/datasources", { agentId: agent.agentId, name: `probe-${agent.agentId}`, engine: "postgres", connection: { host: "127.0.0.1", port: 5432, database: values.database, username: "postgres" } });
        const idle = mib(pid, "VmRSS");
        for (let i = 0; i < Number(values.runs); i++) {
          writeFileSync(`/proc/${pid}/clear_refs`, "5"); // resets VmHWM to the current RSS
          const started = await client.post(`/datasources/${ds.body.id}/backups`, { destinationIds: [dest.body.id], options: { format: "plain", compression } });
          const r = await waitForRun(client, started.body.runId, settled, 3_600_000);
          if (r.state !== "completed") throw new Error(`run ${r.state} ${JSON.stringify(r.error)}`);
          peaks.push(`${mib(pid, "VmHWM").toFixed(1)} (${((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)} s)`);
        }
        console.log(`[${nodeFlags.join(" ") || "no flags"}] idle ${idle.toFixed(1)} MiB${peaks.length ? `; backup peaks (${values.codec}) ${peaks.join(", ")}` : ""}`);
      } finally {
        await agent.process?.stop();
      }
    }
  }
} finally {
  await cp.process.stop();
}
