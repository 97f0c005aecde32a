// `npm run bench -- transfer [flags]`: how fast a staged artifact reaches a local destination through
// the control plane (agent -> control plane -> destination), next to a raw loopback TCP copy of the
// same file (read from a file, written to a file, fsynced by the receiver), as paired, interleaved
// repetitions. The artifact: a dump of random text and bytea, uncompressed (--mb MiB).
// Agent side: from backupCompleted (the artifact staged and fsynced) to every delivery completed, as
// a rate (MiB/s); work the control plane does while the agent is still staging (an overlapped pull)
// is rightly not counted. Also printed: the upload's own rate from the control plane's "artifact
// upload received" log lines, when it logs them.
// Measured twice: `disk` (agent staging, spool, destination and the raw copy under the temp dir) and
// `tmpfs` (all of them under /dev/shm: TMPDIR for the agent, HOLDFAST_SPOOL_DIR for the control
// plane), to tell the protocol's cost from the disk's. Target: transfer / raw >= 0.8.
// Then one more backup per mode with the agent's upload cap set (--cap MiB/s, PATCH /agents/:id):
// its real rate from the same log lines, against the cap.
// Flags: --pairs N (5), --mb N (1024), --modes disk,tmpfs, --cap MiB/s (25; --quick: 8),
//   --quick (2 pairs, 32 MiB, no write), --write, --no-write
import { once } from "node:events";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { createServer, connect, type AddressInfo } from "node:net";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { tempDir } from "../support/processes.js";
import { ensureDatabase } from "./lib/databases.js";
import { describeMachine, fsType } from "./lib/machine.js";
import { benchOptions } from "./lib/options.js";
import { runPaired } from "./lib/paired.js";
import { printSection, spread, spreadIqr, verdict, writeSection, type Section } from "./lib/report.js";
import { addDatasource, addLocalDestination, backupAndWait, benchStack, dropArtifact } from "./lib/stack.js";
import { summarize, type Target } from "./lib/stats.js";

const opts = benchOptions({ modes: { type: "string" }, cap: { type: "string" } }, { cap: "8" });
const modes = opts.pick("modes", "disk,tmpfs").split(",") as ("disk" | "tmpfs")[];
const cap = Number(opts.pick("cap", "25"));
if (!(cap >= 0.1)) throw new Error("--cap: MiB/s, at least 0.1");
const TARGET: Target = { op: ">=", limit: 0.8 };
const MiB = 2 ** 20;

/** The yardstick: the file over a plain loopback socket into another file, fsynced before the sender counts it done. Seconds. */
async function rawTcpCopy(file: string, dir: string): Promise<number> {
  const out = path.join(dir, "raw-copy");
  let received!: Promise<void>;
  const server = createServer((sock) => {
    received = pipeline(sock, createWriteStream(out, { highWaterMark: MiB })).then(async () => {
      const handle = await open(out, "r");
      await handle.sync();
      await handle.close();
    });
    server.close();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const started = performance.now();
  const sock = connect((server.address() as AddressInfo).port, "127.0.0.1");
  await once(sock, "connect");
  await pipeline(createReadStream(file, { highWaterMark: MiB }), sock);
  await once(server, "close");
  await received;
  const s = (performance.now() - started) / 1000;
  rmSync(out);
  return s;
}

const machine = describeMachine();
const database = await ensureDatabase("random", opts.mb);
const rows: string[][] = [];
const cappedRows: string[][] = [];

/** The control plane's "artifact upload received" lines of a run: bytes and milliseconds, summed over its requests. */
function uploadLines(output: string, runId: string): { bytes: number; ms: number } {
  return output
    .split("\n")
    .filter((l) => l.includes('"artifact upload received"') && l.includes(runId))
    .map((l) => JSON.parse(l) as { bytes: number; ms: number })
    .reduce((a, b) => ({ bytes: a.bytes + b.bytes, ms: a.ms + b.ms }), { bytes: 0, ms: 0 });
}

for (const mode of modes) {
  const root = mode === "tmpfs" ? mkdtempSync("/dev/shm/holdfast-bench-") : tempDir("bench-transfer");
  const dirs = { staging: path.join(root, "staging"), spool: path.join(root, "spool"), dest: path.join(root, "dest"), raw: path.join(root, "raw") };
  const made = Object.fromEntries(Object.entries(dirs).map(([k, d]) => [k, mkdtempSync(`${d}-`)])) as typeof dirs;
  const stack = await benchStack(mode === "tmpfs" ? { agentEnv: { TMPDIR: made.staging }, cpEnv: { HOLDFAST_SPOOL_DIR: made.spool } } : {});
  const uploads: number[] = [];
  let bytes = 0;
  try {
    const dest = await addLocalDestination(stack.client, made.dest, "bench");
    const ds = await addDatasource(stack.client, stack.agent.agentId, database);
    let lastFile = "";
    let lastRunId = "";
    const agent = async () => {
      const { run } = await backupAndWait(stack.client, ds, { destinationIds: [dest], options: { format: "plain", compression: { codec: "none" } } });
      const deliveredAt = Date.now();
      lastFile = run.deliveries[0].path;
      lastRunId = run.runId;
      bytes = statSync(lastFile).size;
      const uploadMs = uploadLines(stack.cp.process.output, run.runId).ms;
      if (uploadMs > 0) uploads.push(bytes / MiB / (uploadMs / 1000));
      return bytes / MiB / ((deliveredAt - Date.parse(run.finishedAt)) / 1000);
    };
    const raw = async () => {
      const s = await rawTcpCopy(lastFile, made.raw);
      await dropArtifact(stack.client, lastRunId);
      return bytes / MiB / s;
    };
    const p = await runPaired(`transfer ${mode}`, opts.pairs, agent, raw);
    rows.push([
      `${mode} (${fsType(made.staging)})`,
      (bytes / MiB).toFixed(0),
      spread(p.summary.a, 0),
      uploads.length ? spread(summarize(uploads), 0) : "not logged",
      spread(p.summary.b, 0),
      spreadIqr(p.summary.ratio),
      verdict(p.summary.ratio, TARGET),
    ]);

    // One capped backup: the control plane reads the agent's upload no faster than the cap.
    const capped = await stack.client.patch(`/agents/${stack.agent.agentId}`, { transferCapMiBps: cap });
    if (capped.status !== 200) throw new Error(`cap: ${capped.status} ${JSON.stringify(capped.body)}`);
    const { run } = await backupAndWait(stack.client, ds, { destinationIds: [dest], options: { format: "plain", compression: { codec: "none" } } });
    await stack.client.patch(`/agents/${stack.agent.agentId}`, { transferCapMiBps: null });
    const upload = uploadLines(stack.cp.process.output, run.runId);
    const rate = upload.ms > 0 ? upload.bytes / MiB / (upload.ms / 1000) : Number.NaN;
    cappedRows.push([`${mode} (${fsType(made.staging)})`, (upload.bytes / MiB).toFixed(0), String(cap), rate.toFixed(1), (rate / cap).toFixed(2)]);
    await dropArtifact(stack.client, run.runId);
  } finally {
    await stack.stop();
    if (mode === "tmpfs") rmSync(root, { recursive: true, force: true });
  }
}

const section: Section = {
  name: "transfer",
  title: "Transfer: agent -> control plane -> local destination vs raw loopback TCP",
  params: `${opts.mb} MiB random-text-and-bytea database, uncompressed, ${opts.pairs} pairs (transfer, raw, transfer, raw...)`,
  tables: [
    { headers: ["staging, spool, destination", "artifact MiB", "staged→delivered MiB/s", "upload alone MiB/s", "raw TCP MiB/s", "transfer/raw", "target"], rows },
    { headers: ["capped: staging, spool, destination", "uploaded MiB", "agent's cap MiB/s", "upload MiB/s", "upload/cap"], rows: cappedRows },
  ],
  notes: [
    "MiB/s and ratio: median (min–max) over the pairs, the ratio pair by pair. Staged→delivered: backupCompleted to every delivery completed. Raw TCP: file → loopback socket → file, fsynced.",
    "Capped: one backup with the agent's transferCapMiBps set; its upload's bytes over its time, from the control plane's log lines (an upload that overlapped staging also waited for the dump).",
  ],
};
printSection(section, machine);
if (opts.write) writeSection(section, machine);
