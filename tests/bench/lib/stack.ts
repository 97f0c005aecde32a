// A control plane and an agent for a benchmark, and what the benchmarks read off them.
import { readFileSync } from "node:fs";
import { startStack, type Api, type Stack } from "../../support/processes.js";
import { settled } from "../../support/proxied-rig.js";
import { PG_CONN } from "./databases.js";

export type BenchStack = Stack;

/**
 * `cpEnv`: e.g. HOLDFAST_SPOOL_DIR; `agentEnv`: e.g. TMPDIR (where the agent stages). The agent is
 * started. The API's rate limits are off: a benchmark's polling and clean-up are not an abuse to refuse.
 */
export function benchStack(opts: { cpEnv?: Record<string, string>; agentEnv?: Record<string, string> } = {}): Promise<BenchStack> {
  const unlimited = { HOLDFAST_RATE_API_TOKEN_PER_MIN: "0", HOLDFAST_RATE_API_ADDRESS_PER_MIN: "0" };
  return startStack({ env: { ...unlimited, ...opts.cpEnv }, ...(opts.agentEnv ? { agentEnv: opts.agentEnv } : {}) });
}

export async function addDatasource(client: Api, agentId: string, database: string, name = database): Promise<string> {
  const ds = await client.post("/datasources", { agentId, name, engine: "postgres", connection: { host: PG_CONN.host, port: PG_CONN.port, database, username: PG_CONN.username } });
  if (ds.status !== 201) throw new Error(`datasource: ${ds.status} ${JSON.stringify(ds.body)}`);
  return ds.body.id;
}

export async function addLocalDestination(client: Api, folder: string, name = folder): Promise<string> {
  const dest = await client.post("/destinations", { name, type: "local", config: { path: folder } });
  if (dest.status !== 201) throw new Error(`destination: ${dest.status} ${JSON.stringify(dest.body)}`);
  return dest.body.id;
}

/**
 * Starts a backup and polls until it has settled: every 250 ms while the run runs (its times come
 * from the agent's own timestamps; polling faster only takes CPU from the backup being measured),
 * every 20 ms once it completed and its deliveries are what is waited for.
 */
export async function backupAndWait(client: Api, datasourceId: string, body: Record<string, unknown>): Promise<{ run: any; elapsedS: number }> {
  const started = performance.now();
  const res = await client.post(`/datasources/${datasourceId}/backups`, body);
  if (res.status !== 202 && res.status !== 201) throw new Error(`backup: ${res.status} ${JSON.stringify(res.body)}`);
  const deadline = Date.now() + 3_600_000;
  let run: any;
  for (;;) {
    const r = await client.get(`/runs/${res.body.runId}`);
    if (r.status === 200 && settled(r.body)) {
      run = r.body;
      break;
    }
    if (Date.now() > deadline) throw new Error(`run ${res.body.runId} not settled after an hour`);
    const running = r.status !== 200 || r.body.state === "queued" || r.body.state === "running";
    await new Promise((ok) => setTimeout(ok, running ? 250 : 20));
  }
  const elapsedS = (performance.now() - started) / 1000;
  if (run.state !== "completed" || run.deliveries.some((d: { state: string }) => d.state !== "completed")) {
    throw new Error(`run ${run.runId} ended ${run.state}: ${JSON.stringify(run.error ?? run.deliveries)}`);
  }
  return { run, elapsedS };
}

/** backupStarted to backupCompleted, as the agent reported them. */
export const agentSeconds = (run: { startedAt: string; finishedAt: string }) => (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000;

/** VmRSS or VmHWM (the peak since the process started) of a process, in MiB. */
export function rssMiB(pid: number, field: "VmRSS" | "VmHWM" = "VmRSS"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** Samples VmRSS every 100 ms until stopped; answers the highest sample. */
export function sampleRss(pid: number): { stop(): number } {
  let peak = rssMiB(pid);
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(pid));
    } catch {
      // the process ended: keep what was seen
    }
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      return peak;
    },
  };
}

/** Not timed: frees a run's destination and spool copies so a long run does not fill the disk. */
export async function dropArtifact(client: Api, runId: string): Promise<void> {
  const res = await client.delete(`/runs/${runId}/artifact?force=true`);
  if (res.status !== 200) process.stderr.write(`note: run ${runId}'s artifact was not deleted (${res.status} ${res.body?.code ?? ""}); the disk keeps it\n`);
}
