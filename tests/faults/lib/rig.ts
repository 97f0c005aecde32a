// What every fault scenario stands on: a real control plane, agents enrolled into it through the
// CLI (each with its own temp dir, where it stages), a local destination folder, and the checks
// that read what a user would see afterwards.
import { readdirSync } from "node:fs";
import path from "node:path";
import { type Agent, type Api, api, type ControlPlane, createAdmin, enrollAgent, startControlPlane, tempDir, waitFor, waitForAgentStatus } from "../../support/processes.js";
import { settled } from "../../support/proxied-rig.js";

export type FaultAgent = Agent & { tmp: string };
export type FaultRig = { cp: ControlPlane; client: Api; destinationId: string; destination: string; agents: FaultAgent[]; stop(): Promise<void> };

/** The API's rate limits off: a suite polling runs is no abuse to refuse. */
const UNLIMITED = { HOLDFAST_RATE_API_TOKEN_PER_MIN: "0", HOLDFAST_RATE_API_ADDRESS_PER_MIN: "0" };

export async function startRig(cpEnv: Record<string, string> = {}): Promise<FaultRig> {
  const cp = await startControlPlane({ env: { ...UNLIMITED, ...cpEnv } });
  const client = api(cp, await createAdmin(cp));
  const destination = tempDir("fault-dest");
  const dest = await client.post("/destinations", { name: "folder", type: "local", config: { path: destination } });
  if (dest.status !== 201) throw new Error(`destination: ${dest.status} ${JSON.stringify(dest.body)}`);
  const rig: FaultRig = {
    cp,
    client,
    destination,
    destinationId: dest.body.id,
    agents: [],
    async stop() {
      for (const a of rig.agents) await a.process?.kill();
      await cp.process.kill();
    },
  };
  return rig;
}

/** An agent enrolled, started and online, staging under its own temp dir (TMPDIR). */
export async function addAgent(rig: FaultRig, env: Record<string, string> = {}): Promise<FaultAgent> {
  const tmp = tempDir("fault-agent-tmp");
  const agent = Object.assign(await enrollAgent(rig.cp, { env: { TMPDIR: tmp, ...env } }), { tmp });
  await agent.start();
  await waitForAgentStatus(rig.client, agent.agentId, "online");
  rig.agents.push(agent);
  return agent;
}

export async function addDatasource(rig: FaultRig, agent: Agent, database: string, extra: Record<string, unknown> = {}): Promise<string> {
  const ds = await rig.client.post("/datasources", {
    agentId: agent.agentId,
    name: `${database} on ${agent.agentId}`,
    engine: "postgres",
    connection: { host: "127.0.0.1", port: 5432, database, username: "postgres" },
    ...extra,
  });
  if (ds.status !== 201) throw new Error(`datasource: ${ds.status} ${JSON.stringify(ds.body)}`);
  return ds.body.id;
}

export async function startBackup(rig: FaultRig, datasourceId: string, options?: Record<string, unknown>): Promise<string> {
  const res = await rig.client.post(`/datasources/${datasourceId}/backups`, { destinationIds: [rig.destinationId], ...(options ? { options } : {}) });
  if (res.status !== 202 && res.status !== 201) throw new Error(`backup: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.runId;
}

/** The run once it will not change any more (ended, or completed with its deliveries settled); throws after `timeoutMs`. */
export function waitSettled(client: Api, runId: string, timeoutMs = 180_000): Promise<any> {
  return waitFor(`run ${runId} to settle`, async () => {
    const r = await client.get(`/runs/${runId}`);
    return r.status === 200 && settled(r.body) ? r.body : undefined;
  }, timeoutMs);
}

/** Every file under `dir`, relative to it. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)));
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
