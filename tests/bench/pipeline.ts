// `npm run bench -- pipeline`: the agent's backup pipeline next to the shell's `pg_dump | CODEC > f`
// on the same database, for each codec, plus the agent's peak memory. Database size in MiB:
// `--mb 1024` (default; generated with `pgbench -i`, kept between runs as holdfast_bench_<mb>).
// Prints figures; asserts nothing.
import { spawn } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { PG_ADMIN_URL, urlFor } from "../support/postgres.js";
import { api, createAdmin, enrollAgent, startControlPlane, tempDir, waitForAgentStatus, waitForRun } from "../support/processes.js";
import { settled } from "../support/proxied-rig.js";

const { values } = parseArgs({ options: { mb: { type: "string", default: "1024" } }, allowPositionals: true });
const mb = Number(values.mb);
const database = `holdfast_bench_${mb}`;

/** pgbench's accounts table is about 15 MiB a scale unit, dumped as plain SQL text. */
async function ensureDatabase(): Promise<void> {
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    const found = await admin`SELECT 1 FROM pg_database WHERE datname = ${database}`;
    if (found.length > 0) return;
    await admin.unsafe(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  process.stderr.write(`generating ${database} with pgbench...\n`);
  await run("pgbench", ["-i", "-q", "-s", String(Math.max(1, Math.round(mb / 15))), "-h", url.hostname, "-p", url.port || "5432", "-U", url.username || "postgres", database]);
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "inherit"] });
    child.on("close", (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

/** `pg_dump | CODEC > file`, timed; the codec is the same tool and level the agent uses. */
async function shellPipeline(codec: { name: string; args: string[] } | null): Promise<{ ms: number; bytes: number }> {
  const url = new URL(PG_ADMIN_URL);
  const out = path.join(tempDir("bench-shell"), "dump");
  const started = performance.now();
  const dump = spawn("pg_dump", ["-h", url.hostname, "-p", url.port || "5432", "-U", url.username || "postgres", "--format=plain", database], { stdio: ["ignore", "pipe", "inherit"] });
  const compressor = codec ? spawn(codec.name, codec.args, { stdio: ["pipe", "pipe", "inherit"] }) : null;
  if (compressor) dump.stdout.pipe(compressor.stdin);
  await pipeline((compressor ?? dump).stdout!, createWriteStream(out));
  const ms = performance.now() - started;
  const { size } = await import("node:fs/promises").then((fs) => fs.stat(out));
  await import("node:fs/promises").then((fs) => fs.rm(out));
  return { ms, bytes: size };
}

await ensureDatabase();
const cp = await startControlPlane();
const agent = await enrollAgent(cp);
const rows: string[][] = [["codec", "agent s", "shell s", "agent/shell", "artifact MiB", "dump MiB/s (agent)"]];
try {
  const client = api(cp, await createAdmin(cp));
  await agent.start();
  await waitForAgentStatus(client, agent.agentId, "online");
  const ds = await client.post("/datasources", { agentId: agent.agentId, name: "bench", engine: "postgres", connection: { host: "127.0.0.1", port: 5432, database, username: "postgres" } });
  const dest = await client.post("/destinations", { name: "bench", type: "local", config: { path: tempDir("bench-dest") } });
  const cases = [
    { label: "none", compression: { codec: "none" }, shell: null },
    { label: "gzip -1", compression: { codec: "gzip", level: 1 }, shell: { name: "gzip", args: ["-1"] } },
    { label: "gzip -6", compression: { codec: "gzip", level: 6 }, shell: { name: "gzip", args: ["-6"] } },
    { label: "zstd -3", compression: { codec: "zstd", level: 3 }, shell: { name: "zstd", args: ["-q", "-c", "-3", "-T0"] } },
    // The shell side has no age tool here: this row is the agent's zstd + age against the shell's zstd alone,
    // so its ratio is the whole cost of encrypting. The recipient's private half was thrown away.
    {
      label: "zstd -3 + age",
      compression: { codec: "zstd", level: 3 },
      encryption: { recipient: "age1hwf53lxtlk3ykeexxyz3fxpkllqv0z36sjgg9zvr623wxrs6j3cqe25fey" },
      shell: { name: "zstd", args: ["-q", "-c", "-3", "-T0"] },
    },
  ];
  for (const c of cases) {
    process.stderr.write(`${c.label}...\n`);
    const started = await client.post(`/datasources/${ds.body.id}/backups`, { destinationIds: [dest.body.id], options: { format: "plain", compression: c.compression, ...("encryption" in c ? { encryption: c.encryption } : {}) } });
    const r = await waitForRun(client, started.body.runId, settled, 3_600_000);
    if (r.state !== "completed") throw new Error(`${c.label}: run ${r.state} ${JSON.stringify(r.error)}`);
    const agentMs = Date.parse(r.finishedAt) - Date.parse(r.startedAt);
    const shell = await shellPipeline(c.shell);
    const raw = (await shellPipeline(null)).bytes;
    rows.push([c.label, (agentMs / 1000).toFixed(1), (shell.ms / 1000).toFixed(1), (agentMs / shell.ms).toFixed(2), (r.sizeBytes / 1048576).toFixed(0), (raw / 1048576 / (agentMs / 1000)).toFixed(0)]);
  }
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${agent.process!.child.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) console.log(row.map((cell, i) => cell.padStart(widths[i]!)).join("  "));
  console.log(`agent peak RSS over all runs: ${hwm.toFixed(0)} MiB (target <= 100, flat with size). agent/shell target <= 1.10.`);
  console.log(`database ${database} (${urlFor(database)}) is kept for the next run; drop it to regenerate.`);
} finally {
  await agent.process?.stop();
  await cp.process.stop();
}
