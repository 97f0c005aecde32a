import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase, snapshotTables } from "../support/postgres.js";
import { type Agent, type Api, api, type ControlPlane, createAdmin, enrollAgent, startControlPlane, tempDir, waitFor, waitForAgentStatus, waitForRun } from "../support/processes.js";
import { restorePlainGzip, sha256File } from "../support/restore.js";
import { loadAwkwardData } from "../support/sample-data.js";

/** The agent's "link established" lines that name the control plane it reached. */
const linkedTo = (agent: Agent) =>
  (agent.process?.output ?? "")
    .split("\n")
    .filter((line) => line.includes('"link established"'))
    .map((line) => (JSON.parse(line) as { server?: string }).server);

// Issue 21's first step: an agent given two control planes (replicas on one PostgreSQL database)
// moves to the second when the first dies, and backs up through it.
describe("an agent with two control planes", () => {
  const dbs: ScratchDatabase[] = [];
  const shared: Record<string, string> = { HOLDFAST_MASTER_KEY: randomBytes(32).toString("base64"), HOLDFAST_SPOOL_DIR: tempDir("spool") };
  let first: ControlPlane;
  let second: ControlPlane;
  let agent: Agent;
  let viaFirst: Api;
  let viaSecond: Api;

  beforeAll(async () => {
    const cpDb = await createScratchDatabase("hf_cp_two");
    dbs.push(cpDb);
    first = await startControlPlane({ databaseUrl: cpDb.url, env: shared });
    second = await startControlPlane({ databaseUrl: cpDb.url, env: shared });
    const token = await createAdmin(first);
    viaFirst = api(first, token);
    viaSecond = api(second, token);
    agent = await enrollAgent(first, { env: { HOLDFAST_SERVERS: `${first.url},${second.url}`, HOLDFAST_RECONNECT_BASE_MS: "200" } });
    await agent.start();
    await waitForAgentStatus(viaFirst, agent.agentId, "online");
  });

  afterAll(async () => {
    await agent?.process?.stop();
    await first?.process.stop();
    await second?.process.stop();
    for (const db of dbs) await db.drop();
  });

  it("takes requests on either: the second relays to the agent on the first; when the first is killed the agent moves to the second; each backup delivered, restored equal", async () => {
    expect(linkedTo(agent)).toEqual([first.url]);
    const source = await createScratchDatabase("hf_two_src");
    const target = await createScratchDatabase("hf_two_dst");
    dbs.push(source, target);
    await loadAwkwardData(source.url);
    const folder = tempDir("dest");
    const dest = await viaSecond.post("/destinations", { name: "local", type: "local", config: { path: folder } });
    expect(dest.status).toBe(201);
    // Asked of the second while the agent's socket is on the first: the second relays the agent's
    // commands (store the datasource's config, test it) through the first. The second learns where the
    // agent is within its view's refresh (5 s): until then it answers AGENT_OFFLINE and stores nothing.
    const ds = await waitFor("the datasource created through the second control plane", async () => {
      const res = await viaSecond.post("/datasources", {
        agentId: agent.agentId,
        name: "two planes",
        engine: "postgres",
        connection: { host: "127.0.0.1", port: 5432, database: source.name, username: "postgres" },
      });
      if (res.status === 201) return res;
      expect(res.body.error.code).toBe("AGENT_OFFLINE");
      return undefined;
    });
    const backUp = async (via: Api) => {
      const started = await via.post(`/datasources/${ds.body.id}/backups`, { destinationIds: [dest.body.id] });
      expect(started.status).toBe(202);
      const run = await waitForRun(via, started.body.runId, (r) => r.state === "failed" || (r.state === "completed" && r.deliveries.every((d: { state: string }) => d.state !== "pending" && d.state !== "running")));
      expect(run).toMatchObject({ state: "completed", error: null });
      expect(run.deliveries).toEqual([expect.objectContaining({ destinationId: dest.body.id, state: "completed" })]);
      expect(await sha256File(run.deliveries[0].path)).toBe(run.sha256);
      return run.deliveries[0].path as string;
    };
    await backUp(viaSecond);
    expect(linkedTo(agent)).toEqual([first.url]);

    await first.process.kill();
    await waitFor("the agent's link to the second control plane", () => linkedTo(agent).at(-1) === second.url);
    const delivered = await backUp(viaSecond);
    await restorePlainGzip(delivered, target.name);
    expect(await snapshotTables(target.url)).toEqual(await snapshotTables(source.url));
  });
});
