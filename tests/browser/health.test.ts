import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { type Agent, api, enrollAgent, tempDir, waitFor, waitForAgentStatus } from "../support/processes.js";
import { captureBothSchemes } from "./support/capture.js";
import { type ConsoleRig, startConsoleRig } from "./support/console-rig.js";

const SLOW = 180_000;

// The health a real agent reports of a real PostgreSQL database, and a destination's probe, as the
// console shows them: badges in the lists, the panel on the datasource's page.
describe("health in the console, against a real control plane, agent and PostgreSQL", () => {
  let rig: ConsoleRig;
  let agent: Agent;
  let db: ScratchDatabase;
  let datasourceId = "";
  beforeAll(async () => {
    rig = await startConsoleRig({}, { env: { HOLDFAST_HEALTH_INTERVAL_MS: "500", HOLDFAST_DESTINATION_PROBE_INTERVAL_MS: "500", HOLDFAST_DESTINATION_MIN_FREE_BYTES: "0" } });
    agent = await enrollAgent(rig.cp);
    await agent.start();
    const client = api(rig.cp, rig.adminToken);
    await waitForAgentStatus(client, agent.agentId, "online");
    db = await createScratchDatabase("hf_console_health");
    const ds = await client.post("/datasources", { agentId: agent.agentId, name: "billing", engine: "postgres", connection: { host: "127.0.0.1", port: 5432, database: db.name, username: "postgres" } });
    expect(ds.status, JSON.stringify(ds.body)).toBe(201);
    datasourceId = ds.body.id;
    expect((await client.post("/destinations", { name: "nightly folder", type: "local", config: { path: tempDir("console-health-dest") } })).status).toBe(201);
    await waitFor("a recorded check", async () => ((await client.get(`/datasources/${datasourceId}/health`)).body.checks?.length ?? 0) > 0);
    await waitFor("a probe", async () => (await client.get("/destinations")).body.items?.[0]?.health?.lastCheck);
  }, SLOW);
  afterAll(async () => {
    await agent?.process?.stop();
    await rig?.stop();
    await db?.drop();
  }, SLOW);

  it("shows each datasource's health in the list and its checks on its page", async () => {
    const { page } = await rig.open("/datasources", { token: rig.adminToken });
    await page.getByRole("columnheader", { name: "Health" }).waitFor();
    await page.getByRole("row", { name: /billing/ }).getByText("healthy").waitFor();
    expect(await captureBothSchemes(page, "health-datasources")).toEqual([]);

    await page.goto(`${rig.cp.url}/datasources/${datasourceId}`);
    await page.getByRole("heading", { name: "Health" }).waitFor();
    const checks = page.getByRole("table", { name: "Recent health checks, newest first" });
    await checks.waitFor();
    expect(await checks.getByRole("row").count()).toBeGreaterThan(1);
    await page.getByText(/PostgreSQL \d+/).first().waitFor();
    expect(await captureBothSchemes(page, "health-datasource-panel")).toEqual([]);
  }, SLOW);

  it("shows each destination's probe on the destinations page", async () => {
    const { page } = await rig.open("/destinations", { token: rig.adminToken });
    const card = page.getByRole("listitem", { name: "nightly folder" });
    await card.getByText("healthy").waitFor();
    await card.getByText("Last probe").waitFor();
    expect(await captureBothSchemes(page, "health-destinations")).toEqual([]);
  }, SLOW);
});
