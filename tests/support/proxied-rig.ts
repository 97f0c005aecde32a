import { FaultProxy } from "./fault-proxy.js";
import { createScratchDatabase, type ScratchDatabase } from "./postgres.js";
import { type Agent, type Api, api, type ControlPlane, createAdmin, enrollAgent, startControlPlane, tempDir, waitForAgentStatus } from "./processes.js";
import { loadBulkData } from "./sample-data.js";

export type ProxiedRig = {
  cp: ControlPlane;
  proxy: FaultProxy;
  agent: Agent;
  client: Api;
  source: ScratchDatabase;
  datasourceId: string;
  destinationId: string;
  /** `POST /datasources/:id/backups` to the rig's folder. */
  backup(idempotencyKey?: string): ReturnType<Api["post"]>;
  close(): Promise<void>;
};

/**
 * A control plane, an agent that reaches it through a FaultProxy, a PostgreSQL source of about
 * `megabytes` of bulk rows registered as a datasource, and a local destination folder.
 */
export async function startProxiedRig(megabytes: number): Promise<ProxiedRig> {
  const source = await createScratchDatabase("hf_bulk");
  await loadBulkData(source.url, megabytes);
  const cp = await startControlPlane();
  const client = api(cp, await createAdmin(cp));
  const proxy = await FaultProxy.start(cp.port);
  const agent = await enrollAgent(cp, { serverUrl: proxy.url });
  await agent.start();
  await waitForAgentStatus(client, agent.agentId, "online");
  const ds = await client.post("/datasources", {
    agentId: agent.agentId,
    name: "bulk",
    engine: "postgres",
    connection: { host: "127.0.0.1", port: 5432, database: source.name, username: "postgres" },
  });
  const dest = await client.post("/destinations", { name: "local", type: "local", config: { path: tempDir("dest") } });
  const rig: ProxiedRig = {
    cp,
    proxy,
    agent,
    client,
    source,
    datasourceId: ds.body.id,
    destinationId: dest.body.id,
    backup: (key) => client.post(`/datasources/${rig.datasourceId}/backups`, { destinationIds: [rig.destinationId], ...(key ? { idempotencyKey: key } : {}) }),
    async close() {
      await agent.process?.stop();
      await cp.process.stop();
      await proxy.close();
      await source.drop();
    },
  };
  return rig;
}

/** A run that will not change any more: ended, or completed with every delivery settled. */
export function settled(r: { state: string; deliveries: { state: string }[] }): boolean {
  return ["failed", "cancelled", "expired"].includes(r.state) || (r.state === "completed" && r.deliveries.every((d) => d.state === "completed" || d.state === "failed"));
}
