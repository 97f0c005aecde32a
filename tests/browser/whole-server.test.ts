import { randomBytes } from "node:crypto";
import path from "node:path";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PG_ADMIN_URL, snapshotTables, urlFor } from "../support/postgres.js";
import { type Agent, type Api, api, enrollAgent, tempDir, waitForAgentStatus, waitForRun } from "../support/processes.js";
import { SCREENSHOTS } from "./support/capture.js";
import { type ConsoleRig, startConsoleRig } from "./support/console-rig.js";

// Issue 19, a whole server in one job, in the console: the restore dialog of a whole server's backup
// offers its databases and their new names, and the restore the page starts restores that one.
describe("a whole server's backup in the console", () => {
  const prefix = `hfwsweb_${randomBytes(4).toString("hex")}`;
  const [shop, crm] = [`${prefix}_shop`, `${prefix}_crm`];
  const made: string[] = [];
  let rig: ConsoleRig;
  let agent: Agent;
  let client: Api;
  let serverDs: string;
  let backupId: string;

  const admin = async (statements: string[], url = PG_ADMIN_URL) => {
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      for (const s of statements) await sql.unsafe(s);
    } finally {
      await sql.end();
    }
  };

  beforeAll(async () => {
    for (const name of [shop, crm]) {
      made.push(name);
      await admin([`CREATE DATABASE "${name}"`]);
      await admin(["CREATE TABLE items (id int PRIMARY KEY, label text)", "INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 200) g"], urlFor(name));
    }
    rig = await startConsoleRig();
    client = api(rig.cp, rig.adminToken);
    agent = await enrollAgent(rig.cp);
    await agent.start();
    await waitForAgentStatus(client, agent.agentId, "online");
    const ds = await client.post("/datasources", { agentId: agent.agentId, name: "db-server", engine: "postgres", connection: { host: "127.0.0.1", port: 5432, database: "*", username: "postgres" } });
    expect(ds.status).toBe(201);
    serverDs = ds.body.id;
    // A datasource of one database: never offered for a whole server's backup.
    const single = await client.post("/datasources", { agentId: agent.agentId, name: "just-shop", engine: "postgres", connection: { host: "127.0.0.1", port: 5432, database: shop, username: "postgres" } });
    expect(single.status).toBe(201);
    const dest = await client.post("/destinations", { name: "local disk", type: "local", config: { path: tempDir("web-ws-dest") } });
    const started = await client.post(`/datasources/${serverDs}/backups`, { destinationIds: [dest.body.id], options: { databases: { include: [`${prefix}_*`] } } });
    expect(started.status).toBe(202);
    backupId = started.body.runId;
    await waitForRun(client, backupId, (r) => r.state === "completed" && r.deliveries.every((d: { state: string }) => d.state === "completed"));
  }, 240_000);

  afterEach(async () => {
    for (const [i, open] of (rig?.browser.context.pages() ?? []).entries()) {
      await open.screenshot({ path: path.join(SCREENSHOTS, `whole-server-left-open-${i}.png`), fullPage: true }).catch(() => {});
      await open.close();
    }
  });

  afterAll(async () => {
    await agent?.process?.stop();
    await rig?.stop();
    await admin(made.map((name) => `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
  });

  it("shows the backup's databases, and restores the one picked under the name typed", async () => {
    const { page, problems } = await rig.open(`/runs/${backupId}`, { token: rig.adminToken });
    await page.getByText(`${crm}, ${shop}`).waitFor();
    await page.getByRole("button", { name: "Restore…" }).click();
    const dialog = page.getByRole("dialog", { name: "Restore this backup" });
    await dialog.getByRole("combobox", { name: "Restore into" }).click();
    expect(await page.getByRole("option", { name: "just-shop" }).count()).toBe(0);
    await page.getByRole("option", { name: "db-server (the backup's own)" }).click();
    await dialog.getByLabel("Databases").first().click();
    await page.getByRole("option", { name: shop, exact: true }).click();
    await dialog.getByRole("heading").first().click();
    const into = `${shop}_copy`;
    made.push(into);
    await dialog.getByRole("textbox", { name: `Restore ${shop} as` }).fill(into);
    expect(await dialog.getByRole("textbox", { name: `Restore ${crm} as` }).count()).toBe(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, "run-restore-whole-server.png"), fullPage: true });
    await dialog.getByRole("button", { name: "Restore", exact: true }).click();

    await page.waitForURL((url) => url.pathname.startsWith("/runs/") && !url.pathname.endsWith(backupId));
    const restoreId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
    const run = await waitForRun(client, restoreId, (r) => r.state === "completed" || r.state === "failed");
    expect(run).toMatchObject({ kind: "restore", state: "completed", datasourceId: serverDs });
    expect(await snapshotTables(urlFor(into))).toEqual(await snapshotTables(urlFor(shop)));
    expect(await problems()).toEqual([]);
    await page.close();
  }, 180_000);
});
