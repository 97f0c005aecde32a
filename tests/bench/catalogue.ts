// `npm run bench -- catalogue [--dialect sqlite|postgres|both] [--runs 1000000] [--reps 50] [--data DIR] [--quick]`: the
// catalogue at scale (issue 18). A real control plane on a generated database (catalogue/generate.ts:
// 2,000 datasources, 1,000,000 runs, about 3,000,000 deliveries, a schedule with five years of daily
// backups) answers each catalogue request `reps` times after a warm-up; p50 and p95 per request,
// PASS when p95 <= 50 ms.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import postgres from "postgres";
import { CATALOGUE_IDS, type CatalogueSize, FULL_SIZE, generatePostgres, generateSqlite } from "./catalogue/generate.js";
import { createScratchDatabase, PG_ADMIN_URL } from "../support/postgres.js";
import { benchOptions } from "./lib/options.js";
import { describeMachine } from "./lib/machine.js";
import { printSection, type Table, writeSection } from "./lib/report.js";
import { createAdmin, freePort, HOLDFAST_BIN, ManagedProcess, runCli, startControlPlane, tempDir, waitFor } from "../support/processes.js";

const opts = benchOptions(
  {
    dialect: { type: "string" },
    runs: { type: "string" },
    reps: { type: "string" },
    /** Keep the generated catalogues under this directory, and reuse them on the next run. */
    data: { type: "string" },
  },
  { runs: "20000", reps: "10" },
);
const args = { dialect: opts.pick("dialect", "both"), data: opts.pick("data", "") || undefined };
const size: CatalogueSize = { ...FULL_SIZE, runs: Number(opts.pick("runs", String(FULL_SIZE.runs))) };
const reps = Number(opts.pick("reps", "50"));
const TARGET_MS = 50;

/** The requests the catalogue must answer fast: the runs list with each filter, first and deep page, a run, stats, the dashboard's, a retention preview. */
function requests(deepCursor: string, NOW: number): [string, string][] {
  const deep = `&cursor=${deepCursor}`;
  return [
    ["runs: first page", "/runs"],
    ["runs: deep page", `/runs?limit=50${deep}`],
    ["runs: datasource", `/runs?datasourceId=${CATALOGUE_IDS.datasource}`],
    ["runs: datasource, deep", `/runs?datasourceId=${CATALOGUE_IDS.datasource}${deep}`],
    ["runs: agent", `/runs?agentId=${CATALOGUE_IDS.agent}`],
    ["runs: agent, deep", `/runs?agentId=${CATALOGUE_IDS.agent}${deep}`],
    ["runs: schedule", `/runs?scheduleId=${CATALOGUE_IDS.schedule}`],
    ["runs: schedule, deep", `/runs?scheduleId=${CATALOGUE_IDS.schedule}${deep}`],
    ["runs: state=failed", "/runs?state=failed"],
    ["runs: state=failed, deep", `/runs?state=failed${deep}`],
    ["runs: kind=restore", "/runs?kind=restore"],
    ["runs: kind=restore, deep", `/runs?kind=restore${deep}`],
    ["runs: trigger=manual", "/runs?trigger=manual"],
    ["runs: trigger=manual, deep", `/runs?trigger=manual${deep}`],
    ["runs: from/to (a week a year ago)", `/runs?from=${new Date(NOW - 372 * 86_400_000).toISOString()}&to=${new Date(NOW - 365 * 86_400_000).toISOString()}`],
    ["runs: state=running (dashboard)", "/runs?state=running&limit=50"],
    ["runs/:id", `/runs/${CATALOGUE_IDS.run(size)}`],
    ["stats?days=30 (dashboard)", "/stats?days=30"],
    ["agents (dashboard)", "/agents"],
    ["alerts (dashboard)", "/alerts"],
    ["retention preview, 5 years daily", `/schedules/${CATALOGUE_IDS.retentionSchedule}/retention/preview`],
  ];
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

/** The generated catalogue: a data dir (SQLite) or a database (PostgreSQL), kept across runs with `--keep`. */
interface Catalogue {
  dataDir: string;
  databaseUrl?: string;
  /** The `now` it was generated at (the newest run's creation time). */
  now: number;
}

const metaFile = (dataDir: string) => path.join(dataDir, "catalogue.json");

/** Makes (or, with --data naming one made before, reuses) the catalogue of a dialect. */
async function catalogueFor(dialect: "sqlite" | "postgres"): Promise<Catalogue> {
  const dataDir = args.data ? path.resolve(args.data, dialect) : tempDir(`catalogue-${dialect}`);
  if (existsSync(metaFile(dataDir))) return JSON.parse(readFileSync(metaFile(dataDir), "utf8")) as Catalogue;
  mkdirSync(dataDir, { recursive: true });
  const scratch = dialect === "postgres" ? await createScratchDatabase("holdfast_catalogue") : undefined;
  // The control plane migrates the database as it starts: start it once, stop it, fill what it made.
  const cp = await startControlPlane({ ...(scratch ? { databaseUrl: scratch.url } : {}), env: { HOLDFAST_DATA_DIR: dataDir } });
  await cp.process.stop();
  const now = Date.now();
  const started = performance.now();
  const log = (s: string) => console.log(`   ${s}`);
  if (scratch) {
    const sql = postgres(scratch.url, { max: 1, onnotice: () => {} });
    await generatePostgres(sql, size, now, log).finally(() => sql.end());
  } else {
    const client = new BetterSqlite3(path.join(dataDir, "holdfast.db"));
    await generateSqlite(client, size, now, log).finally(() => client.close());
  }
  console.log(`   generated in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const made: Catalogue = { dataDir, now, ...(scratch ? { databaseUrl: scratch.url } : {}) };
  writeFileSync(metaFile(dataDir), JSON.stringify(made));
  return made;
}

async function measure(dialect: "sqlite" | "postgres", table: Table): Promise<boolean> {
  console.log(`\n-- ${dialect}: ${size.runs} runs, ${size.datasources} datasources, ${size.retentionDays} days of daily backups on one schedule`);
  const cat = await catalogueFor(dialect);
  const port = await freePort();
  const env = { HOLDFAST_DATA_DIR: cat.dataDir, ...(cat.databaseUrl ? { HOLDFAST_DATABASE_URL: cat.databaseUrl } : {}) };
  const url = `http://127.0.0.1:${port}`;
  const bootStarted = performance.now();
  const cp = ManagedProcess.start(HOLDFAST_BIN, ["serve", "--port", String(port)], env);
  try {
    // Generous: a first start on this catalogue migrates it (new indexes over a million runs).
    await waitFor(`the control plane on ${url}`, async () => {
      if (!cp.running) throw new Error(`holdfast serve exited:\n${cp.output}`);
      return (await fetch(`${url}/healthz`).catch(() => undefined))?.ok;
    }, 900_000);
    console.log(`   started (and migrated) in ${((performance.now() - bootStarted) / 1000).toFixed(1)} s`);
    const token = await createAdmin({ cli: (a, input) => runCli(HOLDFAST_BIN, a, { env, ...(input === undefined ? {} : { input }) }) }, `bench-${Date.now()}@example.test`);
    const get = async (p: string) => {
      const res = await fetch(`${url}/api/v1${p}`, { headers: { authorization: `Bearer ${token}` } });
      const body = await res.text();
      if (!res.ok) throw new Error(`GET ${p}: ${res.status} ${body.slice(0, 300)}`);
      return body;
    };
    // A cursor half-way down the history: the page after the 500,000th run.
    const middle = Math.floor(size.runs / 2);
    const deepCursor = Buffer.from(JSON.stringify([cat.now - (middle - 1) * Math.floor((730 * 86_400_000) / size.runs), `run_b${String(middle).padStart(7, "0")}`])).toString("base64url");
    let allPass = true;
    console.log(`   ${"request".padEnd(38)} ${"p50 ms".padStart(8)} ${"p95 ms".padStart(8)}  result`);
    for (const [name, p] of requests(deepCursor, cat.now)) {
      let last = 0;
      for (let i = 0; i < 3; i++) {
        // Warm-up: the first call after a start may fill what the control plane keeps (stats' memos).
        const w = performance.now();
        await get(p);
        last = performance.now() - w;
      }
      // A request ten times over the target fails whatever its spread: a few repetitions say by how much.
      const n = last > 10 * TARGET_MS ? 3 : reps;
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await get(p);
        times.push(performance.now() - t0);
      }
      times.sort((a, b) => a - b);
      const p95 = quantile(times, 0.95);
      const pass = p95 <= TARGET_MS;
      allPass &&= pass;
      console.log(`   ${name.padEnd(38)} ${quantile(times, 0.5).toFixed(1).padStart(8)} ${p95.toFixed(1).padStart(8)}  ${pass ? "PASS" : "FAIL"}`);
      table.rows.push([dialect, name, quantile(times, 0.5).toFixed(1), p95.toFixed(1), String(n), `<= ${TARGET_MS}: ${pass ? "PASS" : "FAIL"}`]);
    }
    return allPass;
  } finally {
    await cp.stop();
    if (!args.data) {
      if (cat.databaseUrl) {
        const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {} });
        await admin.unsafe(`DROP DATABASE IF EXISTS "${new URL(cat.databaseUrl).pathname.slice(1)}" WITH (FORCE)`).finally(() => admin.end());
      }
      rmSync(cat.dataDir, { recursive: true, force: true });
    }
  }
}

const machine = describeMachine();
const dialects = args.dialect === "both" ? (["sqlite", "postgres"] as const) : [args.dialect as "sqlite" | "postgres"];
const table: Table = { headers: ["dialect", "request", "p50 ms", "p95 ms", "repetitions", "p95 target"], rows: [] };
let ok = true;
for (const d of dialects) ok = (await measure(d, table)) && ok;
const section = {
  name: "catalogue",
  title: "Catalogue at scale",
  params: `${size.runs} runs, ${size.datasources} datasources, ${size.retentionDays} days of daily backups on one schedule; ${reps} repetitions after 3 warm-ups (3 when the last warm-up took over ten times the target)`,
  tables: [table],
  notes: [`Each request over HTTP to a real control plane on the generated catalogue (tests/bench/catalogue/generate.ts); p95 target ${TARGET_MS} ms.`],
};
printSection(section, machine);
if (opts.write) writeSection(section, machine);
process.exitCode = ok ? 0 : 1;
