import { rm } from "node:fs/promises";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Agent, type Api, api, enrollAgent, tempDir, waitForAgentStatus, waitForRun } from "../support/processes.js";
import { captureBothSchemes } from "./support/capture.js";
import { type ConsoleRig, startConsoleRig } from "./support/console-rig.js";

/** A small SQLite database for the agent to back up. */
function makeSqliteDatabase(file: string): void {
  const db = new Database(file);
  db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
  const add = db.prepare("INSERT INTO items (name) VALUES (?)");
  for (let i = 0; i < 200; i++) add.run(`item ${i}`);
  db.close();
}

describe("the dashboard", () => {
  let rig: ConsoleRig;
  let client: Api;
  let agent: Agent | undefined;
  const dir = tempDir("dashboard");

  beforeAll(async () => {
    // An agent away for 1 s is reported offline: the last case shows that alert on the dashboard.
    rig = await startConsoleRig({}, { env: { HOLDFAST_NOTIFY_AGENT_OFFLINE_MS: "1000" } });
    client = api(rig.cp, rig.adminToken);
  });
  afterAll(async () => {
    await agent?.process?.stop();
    await rig?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it("tells a new user what to set up first when there is nothing yet", async () => {
    const { page, problems } = await rig.open("/", { token: rig.adminToken });
    await page.getByRole("heading", { name: "Dashboard", level: 1 }).waitFor();
    await page.getByRole("heading", { name: "No datasources yet" }).waitFor();
    expect(await page.getByText("Times are in Europe/Lisbon, your time zone.").isVisible()).toBe(true);
    expect(await page.getByRole("link", { name: "Add your first datasource" }).getAttribute("href")).toBe("/datasources");
    expect(await page.getByRole("heading", { name: "No destinations yet" }).isVisible()).toBe(true);
    expect(await page.getByRole("heading", { name: "No backups in the last 30 days" }).isVisible()).toBe(true);
    // Nothing is wrong yet: the alerts panel says so, as good news.
    expect(await page.getByRole("region", { name: "Open alerts", exact: true }).getByRole("heading", { name: "No open alerts" }).isVisible()).toBe(true);
    const agentsCard = page.getByRole("region", { name: "Agents online", exact: true });
    await agentsCard.getByRole("link", { name: "add one" }).waitFor();
    expect(await agentsCard.textContent()).toContain("0 of 0");
    expect(await captureBothSchemes(page, "dashboard-empty")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it("shows a backup made through the API: its datasource on time, the destination's storage, the success rate and the trends", async () => {
    agent = await enrollAgent(rig.cp);
    await agent.start();
    await waitForAgentStatus(client, agent.agentId, "online");
    const file = path.join(dir, "shop.sqlite");
    makeSqliteDatabase(file);
    const ds = await client.post("/datasources", { agentId: agent.agentId, name: "shop (sqlite)", engine: "sqlite", connection: { path: file } });
    expect(ds.status).toBe(201);
    const dst = await client.post("/destinations", { name: "local folder", type: "local", config: { path: path.join(dir, "backups") } });
    expect(dst.status).toBe(201);
    // Daily at 03:00 in New York: the next backup is due at 08:00 UTC (07:00 in winter) = 08:00 or 07:00 in Lisbon.
    const schedule = await client.post("/schedules", { datasourceId: ds.body.id, cron: "0 3 * * *", timezone: "America/New_York", destinationIds: [dst.body.id] });
    expect(schedule.status).toBe(201);
    const started = await client.post(`/datasources/${ds.body.id}/backups`, { destinationIds: [dst.body.id] });
    expect(started.status).toBe(202);
    const run = await waitForRun(client, started.body.runId, (r) => r.state === "failed" || (r.state === "completed" && r.deliveries.every((d: { state: string }) => d.state === "completed")));
    expect(run.state).toBe("completed");

    const { page, problems } = await rig.open("/", { token: rig.adminToken });
    const datasources = page.getByRole("region", { name: "Datasources", exact: true });
    const row = datasources.getByRole("row", { name: /shop \(sqlite\)/ });
    await row.waitFor();
    expect(await row.getByText("on time").isVisible()).toBe(true);
    // The last good backup in the viewer's zone, with the zone named; the due time is the New York 03:00 in Lisbon's clock.
    expect(await row.textContent()).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2} \(Europe\/Lisbon\)/);
    expect(await row.textContent()).toMatch(/\d{4}-\d{2}-\d{2} 0[78]:00 \(Europe\/Lisbon\)/);

    const storage = page.getByRole("region", { name: "Storage per destination", exact: true }).getByRole("row", { name: /local folder/ });
    expect(await storage.textContent()).toContain(`${run.sizeBytes < 1000 ? `${run.sizeBytes} B` : ""}`);
    expect(await storage.getByRole("cell").nth(2).textContent()).toBe("1");
    expect(await page.getByRole("region", { name: "Success, last 7 days", exact: true }).textContent()).toContain("100%");
    expect(await page.getByRole("region", { name: "Agents online", exact: true }).textContent()).toContain("1 of 1");
    // The charts come in their own chunk, after the figures.
    const trends = page.getByRole("region", { name: "Trends, last 30 days", exact: true });
    await trends.getByRole("heading", { name: "Size of completed backups" }).waitFor();
    await expect.poll(() => trends.locator("svg.recharts-surface").count()).toBe(3);
    expect(await captureBothSchemes(page, "dashboard")).toEqual([]);

    // A phone: each datasource a card rather than a table scrolled sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    const card = page.getByRole("listitem", { name: "shop (sqlite)" });
    await card.waitFor();
    expect(await card.getByText("on time").isVisible()).toBe(true);
    expect(await captureBothSchemes(page, "dashboard-narrow")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  }, 240_000); // an agent enrolled, a backup delivered and three pairs of captures with axe: slow on a busy 2-core machine

  it("turns a datasource red when its schedule fired and no good backup followed", async () => {
    // Every 2 s, against a file that is not there: each firing fails, so the backup is overdue within seconds.
    const ds = await client.post("/datasources", { agentId: agent!.agentId, name: "gone (sqlite)", engine: "sqlite", connection: { path: path.join(dir, "missing.sqlite") }, test: false });
    expect(ds.status).toBe(201);
    const dst = (await client.get("/destinations")).body.items[0].id;
    const schedule = await client.post("/schedules", { datasourceId: ds.body.id, cron: "*/2 * * * * *", timezone: "UTC", destinationIds: [dst], retry: { attempts: 0 } });
    expect(schedule.status).toBe(201);
    try {
      const { page, problems } = await rig.open("/", { token: rig.adminToken });
      const row = page.getByRole("region", { name: "Datasources", exact: true }).getByRole("row", { name: /gone \(sqlite\)/ });
      await row.waitFor();
      // The stats refresh every minute; a reload asks at once.
      await expect.poll(async () => {
        await page.reload();
        await row.waitFor();
        return row.getByText("overdue").isVisible();
      }, { timeout: 30_000, interval: 2_000 }).toBe(true);
      expect(await row.getByText("never", { exact: true }).isVisible()).toBe(true);
      await expect.poll(() => page.locator("svg.recharts-surface").count()).toBe(3);
      expect(await captureBothSchemes(page, "dashboard-overdue")).toEqual([]);
      expect(await problems()).toEqual([]);
      await page.close();
    } finally {
      await client.post(`/schedules/${schedule.body.id}/pause`);
    }
  }, 90_000);

  it("lists an agent that went away as an open alert, with its severity, since when and a link to its page", async () => {
    await agent!.process!.stop();
    await waitForAgentStatus(client, agent!.agentId, "offline");
    const { page, problems } = await rig.open("/", { token: rig.adminToken });
    const alert = page.getByRole("region", { name: "Open alerts", exact: true }).getByRole("listitem").filter({ hasText: "Agent offline" });
    // The alert is sent once the agent has been away past the threshold; the panel polls, a reload asks at once.
    await expect.poll(async () => {
      await page.reload();
      await page.getByRole("heading", { name: "Open alerts" }).waitFor();
      return alert.count();
    }, { timeout: 30_000, interval: 1_000 }).toBe(1);
    expect(await alert.getByText("warning", { exact: true }).isVisible()).toBe(true);
    const link = alert.getByRole("link");
    expect(await link.getAttribute("href")).toBe(`/agents/${agent!.agentId}`);
    expect(await alert.textContent()).toMatch(/since \d{4}-\d{2}-\d{2} \d{2}:\d{2} \(Europe\/Lisbon\)/);
    expect(await page.getByRole("heading", { name: "No open alerts" }).count()).toBe(0);
    expect(await captureBothSchemes(page, "dashboard-alert")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  }, 90_000);
});
