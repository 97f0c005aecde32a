// `npm run bench`: how fast an artifact travels agent -> control plane -> local destination, next to
// a raw loopback TCP copy of the same file, and how much memory each process needed for it.
// Sizes in MiB: `npm run bench -- --sizes 256,1024` (default). Prints figures; asserts nothing.
import { once } from "node:events";
import { createReadStream, createWriteStream, readFileSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { createServer, connect, type AddressInfo } from "node:net";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import postgres from "postgres";
import { createScratchDatabase } from "../support/postgres.js";
import { api, createAdmin, enrollAgent, startControlPlane, tempDir, waitForAgentStatus, waitForRun } from "../support/processes.js";

const { values } = parseArgs({ options: { sizes: { type: "string", default: "256,1024" } } });
const sizes = values.sizes!.split(",").map(Number);

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

/** Random bytes: a dump of N MiB of them gives an artifact of about N MiB. */
async function fillRandom(url: string, mib: number): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe("CREATE EXTENSION IF NOT EXISTS pgcrypto; CREATE TABLE noise (id int PRIMARY KEY, b bytea)");
    // bytea dumps as hex, two characters a byte, which gzip brings back to about a byte.
    const rows = Math.ceil((mib * 1024 * 1024) / 4096);
    for (let from = 1; from <= rows; from += 20_000) {
      await sql.unsafe(`INSERT INTO noise SELECT g, gen_random_bytes(1024) || gen_random_bytes(1024) || gen_random_bytes(1024) || gen_random_bytes(1024) FROM generate_series(${from}, ${Math.min(rows, from + 19_999)}) g`);
    }
  } finally {
    await sql.end();
  }
}

/**
 * The same bytes over a plain loopback socket, read from disk and written to disk, then fsynced as
 * the control plane does before it acknowledges an upload: the yardstick.
 */
async function rawTcpCopy(file: string): Promise<number> {
  const out = path.join(tempDir("bench-raw"), "copy");
  const server = createServer((sock) => {
    void pipeline(sock, createWriteStream(out, { highWaterMark: 1 << 20 }))
      .then(async () => {
        const handle = await open(out, "r");
        await handle.sync();
        await handle.close();
      })
      .then(() => server.close());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const started = performance.now();
  const sock = connect((server.address() as AddressInfo).port, "127.0.0.1");
  await once(sock, "connect");
  await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), sock);
  await once(server, "close");
  const ms = performance.now() - started;
  rmSync(out);
  return ms;
}

const mibps = (bytes: number, ms: number) => bytes / 1024 / 1024 / (ms / 1000);
const rows: string[][] = [["artifact MiB", "upload MiB/s", "raw TCP MiB/s", "ratio", "staged→delivered s", "agent peak RSS MiB", "CP peak RSS MiB"]];

for (const mib of sizes) {
  const db = await createScratchDatabase("hf_bench");
  const cp = await startControlPlane();
  const agent = await enrollAgent(cp);
  try {
    process.stderr.write(`filling ${mib} MiB of random rows...\n`);
    await fillRandom(db.url, mib);
    const client = api(cp, await createAdmin(cp));
    await agent.start();
    await waitForAgentStatus(client, agent.agentId, "online");
    const ds = await client.post("/datasources", { agentId: agent.agentId, name: "bench", engine: "postgres", connection: { host: "127.0.0.1", port: 5432, database: db.name, username: "postgres" } });
    const folder = tempDir("bench-dest");
    const dest = await client.post("/destinations", { name: "bench", type: "local", config: { path: folder } });
    process.stderr.write("backing up...\n");
    const started = await client.post(`/datasources/${ds.body.id}/backups`, { destinationIds: [dest.body.id] });
    const run = await waitForRun(client, started.body.runId, (r) => r.state === "failed" || r.deliveries?.every((d: { state: string }) => d.state === "completed" || d.state === "failed"), 3_600_000);
    if (run.state !== "completed" || run.deliveries[0].state !== "completed") throw new Error(`run ended ${run.state}: ${JSON.stringify(run.error ?? run.deliveries)}`);
    const deliveredAt = Date.now();
    const file = run.deliveries[0].path as string;
    const bytes = statSync(file).size;

    // The control plane logs each upload it received with its byte count and duration.
    const uploads = cp.process.output
      .split("\n")
      .filter((l) => l.includes('"artifact upload received"'))
      .map((l) => JSON.parse(l) as { bytes: number; ms: number });
    const uploadMs = uploads.reduce((n, u) => n + u.ms, 0);
    const rawMs = await rawTcpCopy(file);
    rows.push([
      (bytes / 1024 / 1024).toFixed(0),
      mibps(bytes, uploadMs).toFixed(0),
      mibps(bytes, rawMs).toFixed(0),
      (rawMs / uploadMs).toFixed(2),
      ((deliveredAt - Date.parse(run.finishedAt)) / 1000).toFixed(1),
      peakRssMiB(agent.process!.child.pid!).toFixed(0),
      peakRssMiB(cp.process.child.pid!).toFixed(0),
    ]);
  } finally {
    await agent.process?.stop();
    await cp.process.stop();
    await db.drop();
  }
}

const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) console.log(r.map((c, i) => c.padStart(widths[i]!)).join("  "));
console.log("ratio = upload rate / raw TCP rate (target >= 0.8). Peak RSS should not grow with the artifact.");
