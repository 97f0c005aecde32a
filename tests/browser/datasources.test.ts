import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { type Agent, api, enrollAgent, tempDir, waitForAgentStatus, waitForRun } from "../support/processes.js";
import { captureBothSchemes } from "./support/capture.js";
import { type ConsoleRig, startConsoleRig } from "./support/console-rig.js";

/** A ceiling, not a wait: each step drives a real browser and each capture runs axe twice, on a shared 2-core machine. */
const SLOW = 180_000;

/** The browser's console logs each refused request; the test expects those of `status` and nothing else. */
const except = (status: number) => (problems: string[]) => problems.filter((p) => !p.includes(`status of ${status}`));

async function chooseOption(page: Page, label: string, option: RegExp | string) {
  await page.getByRole("dialog").getByRole("combobox", { name: label, exact: true }).click();
  await page.getByRole("option", { name: option }).click();
}

describe("the datasources pages, against a real control plane, agent and PostgreSQL", () => {
  let rig: ConsoleRig;
  let agent: Agent;
  let source: ScratchDatabase;
  let other: ScratchDatabase;
  let datasourceId = "";
  beforeAll(async () => {
    rig = await startConsoleRig();
    agent = await enrollAgent(rig.cp);
    await agent.start();
    await waitForAgentStatus(api(rig.cp, rig.adminToken), agent.agentId, "online");
    source = await createScratchDatabase("hf_console_ds");
    other = await createScratchDatabase("hf_console_ds_other");
  }, SLOW);
  afterAll(async () => {
    await agent?.process?.stop();
    await rig?.stop();
    await source?.drop();
    await other?.drop();
  }, SLOW);

  it("adds a PostgreSQL datasource through the form: checked as typed, the server's refusal of a wrong database shown, then saved", async () => {
    const { page, problems } = await rig.open("/datasources", { token: rig.adminToken });
    await page.getByRole("heading", { name: "No datasources yet" }).waitFor();
    expect(await captureBothSchemes(page, "datasources-empty")).toEqual([]);

    await page.getByRole("button", { name: "Add datasource" }).click();
    const dialog = page.getByRole("dialog", { name: "Add a datasource" });
    await dialog.waitFor();
    // PostgreSQL's fields, and no other engine's.
    expect(await dialog.getByRole("textbox", { name: "Path" }).count()).toBe(0);
    expect(await dialog.getByRole("textbox", { name: "Authentication database" }).count()).toBe(0);
    await dialog.getByRole("textbox", { name: "Name" }).fill("billing");
    await chooseOption(page, "Agent", /e2e-agent/);
    await dialog.getByRole("textbox", { name: "Host", exact: true }).fill("127.0.0.1");
    expect(await dialog.getByRole("textbox", { name: "Port", exact: true }).inputValue()).toBe("5432");
    // The shared schema's rule, shown as the user types, before anything is sent.
    await dialog.getByRole("textbox", { name: "Database" }).fill("-oops");
    await dialog.getByText("must not start with '-'").waitFor();
    const wrong = `${source.name}_missing`;
    await dialog.getByRole("textbox", { name: "Database" }).fill(wrong);
    expect(await dialog.getByText("must not start with '-'").count()).toBe(0);
    await dialog.getByRole("textbox", { name: "User" }).fill("postgres");
    await dialog.getByRole("radiogroup", { name: "Authentication" }).getByText("None", { exact: true }).click();
    expect(await dialog.getByRole("textbox", { name: "Password", exact: true }).count()).toBe(0);
    expect(await captureBothSchemes(page, "datasources-add-dialog")).toEqual([]);

    // What the server answers to this very request, shown in the form.
    const refused = await api(rig.cp, rig.adminToken).post("/datasources", {
      agentId: agent.agentId,
      name: "billing",
      engine: "postgres",
      connection: { host: "127.0.0.1", port: 5432, database: wrong, username: "postgres" },
    });
    expect(refused.status).toBe(422);
    await dialog.getByRole("button", { name: "Add datasource" }).click();
    const alert = dialog.getByRole("alert").filter({ hasText: "The datasource was not added" });
    await alert.waitFor();
    expect(await alert.textContent()).toContain(refused.body.error.message);
    expect(await captureBothSchemes(page, "datasources-add-refused")).toEqual([]);

    await dialog.getByRole("textbox", { name: "Database" }).fill(source.name);
    await dialog.getByRole("button", { name: "Add datasource" }).click();
    await page.getByRole("heading", { name: "billing", level: 1 }).waitFor();
    datasourceId = new URL(page.url()).pathname.split("/").pop() ?? "";
    const stored = await api(rig.cp, rig.adminToken).get(`/datasources/${datasourceId}`);
    expect(stored.body.connection).toEqual({ host: "127.0.0.1", port: 5432, database: source.name, username: "postgres" });
    expect(except(422)(await problems())).toEqual([]);
    await page.close();
  }, SLOW);

  it("lists the datasource with its engine, its agent online and no backup yet", async () => {
    const { page, problems } = await rig.open("/datasources", { token: rig.adminToken });
    const row = page.getByRole("row", { name: /billing/ });
    await row.waitFor();
    expect(await row.getByText("PostgreSQL").count()).toBe(1);
    expect(await row.getByText("online", { exact: true }).count()).toBe(1);
    expect(await row.getByText("never").count()).toBe(1);
    expect(await captureBothSchemes(page, "datasources")).toEqual([]);
    await row.getByRole("link", { name: "billing" }).click();
    await page.waitForURL(`${rig.cp.url}/datasources/${datasourceId}`);
    expect(await problems()).toEqual([]);
    await page.close();
  }, SLOW);

  it("tests the connection, runs the preflight and lists the databases, all through the agent", async () => {
    const { page, problems } = await rig.open(`/datasources/${datasourceId}`, { token: rig.adminToken });
    await page.getByRole("heading", { name: "billing", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Test connection" }).click();
    const connected = page.getByRole("alert").filter({ hasText: "Connected" });
    await connected.waitFor();
    expect(await connected.textContent()).toMatch(/PostgreSQL \d+.* answered in \d+ ms/);

    await page.getByRole("button", { name: "Run preflight" }).click();
    await page.getByText(/pg_dump .*staging folder writable/).waitFor();
    // What the agent reports, as it reports it: ready, or the blocking issues by code.
    const preflight = await api(rig.cp, rig.adminToken).post(`/datasources/${datasourceId}/preflight`);
    if (preflight.body.ok) await page.getByText("Ready to back up").waitFor();
    else await page.getByText(preflight.body.blockingIssues[0].message).waitFor();

    await page.getByRole("button", { name: "List databases" }).click();
    const databases = page.getByRole("table", { name: "Databases on the server" });
    await databases.getByRole("cell", { name: source.name, exact: true }).waitFor();
    expect(await databases.getByRole("cell", { name: other.name, exact: true }).count()).toBe(1);
    expect(await captureBothSchemes(page, "datasource-detail")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  }, SLOW);

  it("edits: picks another database from the server's list, sets a password that is never shown again", async () => {
    const { page, problems } = await rig.open(`/datasources/${datasourceId}`, { token: rig.adminToken });
    await page.getByRole("button", { name: "Edit" }).click();
    const dialog = page.getByRole("dialog", { name: "Edit billing" });
    await dialog.waitFor();
    expect(await dialog.getByRole("textbox", { name: "Database" }).inputValue()).toBe(source.name);
    await dialog.getByRole("button", { name: "List databases" }).click();
    await chooseOption(page, "Databases on the server", new RegExp(`^${other.name}`));
    expect(await dialog.getByRole("textbox", { name: "Database" }).inputValue()).toBe(other.name);
    await dialog.getByRole("radiogroup", { name: "Authentication" }).getByText("Password", { exact: true }).click();
    // Trust authentication accepts any password: the test through the agent still passes.
    await dialog.getByRole("textbox", { name: "Password", exact: true }).fill("s3cret-not-shown");
    // Gentler on the database host: niceness and the idle I/O class (the level field goes quiet).
    await dialog.getByRole("textbox", { name: "CPU niceness" }).fill("10");
    await chooseOption(page, "Disk (I/O class)", /^Idle/);
    expect(await dialog.getByRole("textbox", { name: "Best-effort level" }).isDisabled()).toBe(true);
    expect(await captureBothSchemes(page, "datasource-edit-dialog")).toEqual([]);
    await dialog.getByRole("button", { name: "Save changes" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("definition").getByText(other.name, { exact: true }).waitFor();

    const stored = await api(rig.cp, rig.adminToken).get(`/datasources/${datasourceId}`);
    expect(stored.body.connection).toMatchObject({ database: other.name, password: "********" });
    expect(stored.body.priority).toEqual({ nice: 10, ioClass: "idle" });
    await page.getByRole("definition").getByText("nice 10, I/O class idle", { exact: true }).waitFor();
    expect(await page.content()).not.toContain("s3cret-not-shown");
    await page.getByText("set (write-only: never shown)").waitFor();

    // Opened again, the password field is empty and says the stored one stays unless replaced.
    await page.getByRole("button", { name: "Edit" }).click();
    const again = page.getByRole("dialog", { name: "Edit billing" });
    const password = again.getByRole("textbox", { name: "Password", exact: true });
    expect(await password.inputValue()).toBe("");
    expect(await password.getAttribute("placeholder")).toBe("unchanged (type to replace)");
    expect(await password.getAttribute("type")).toBe("password");
    await again.getByRole("button", { name: "Cancel" }).click();
    expect(await problems()).toEqual([]);
    await page.close();
  }, SLOW);

  it("backs up now with the options PostgreSQL takes, checked as typed, and links to the run", async () => {
    const client = api(rig.cp, rig.adminToken);
    const destination = await client.post("/destinations", { name: "scratch", type: "local", config: { path: tempDir("console-backup-now") } });
    expect(destination.status).toBe(201);
    const { page, problems } = await rig.open(`/datasources/${datasourceId}`, { token: rig.adminToken });
    await page.getByRole("button", { name: "Back up now" }).click();
    const dialog = page.getByRole("dialog", { name: "Back up billing now" });
    await dialog.waitFor();
    // PostgreSQL's own options: its formats, schemas and cluster globals.
    await dialog.getByRole("combobox", { name: "Only these schemas" }).waitFor();
    expect(await dialog.getByRole("checkbox", { name: /cluster globals/ }).count()).toBe(1);
    await dialog.getByRole("textbox", { name: "Encrypt to (age recipient)" }).fill("age1nope");
    await dialog.getByText("must be an age X25519 recipient (age1...)").waitFor();
    await dialog.getByRole("textbox", { name: "Encrypt to (age recipient)" }).fill("");
    // The only destination is filled in: nothing to choose.
    await dialog.getByText("scratch", { exact: true }).waitFor();
    await chooseOption(page, "Format", "custom");
    expect(await captureBothSchemes(page, "datasource-backup-now-dialog")).toEqual([]);
    // Inside a blackout window of the agent (UTC, every day, around now): refused, then run anyway.
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const around = { days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], from: hhmm(Date.now() - 3_600_000), to: hhmm(Date.now() + 3_600_000) };
    expect((await client.patch(`/agents/${agent.agentId}`, { blackout: [around] })).status).toBe(200);
    try {
      await dialog.getByRole("button", { name: "Start backup" }).click();
      const refusal = dialog.getByRole("alert").filter({ hasText: "Inside a blackout window" });
      await refusal.getByText(`${around.from}-${around.to} (UTC)`, { exact: false }).waitFor();
      expect(await captureBothSchemes(page, "datasource-backup-now-blackout")).toEqual([]);
      await refusal.getByRole("button", { name: "Run anyway" }).click();
    } finally {
      await client.patch(`/agents/${agent.agentId}`, { blackout: [] });
    }
    const follow = dialog.getByRole("link", { name: "Follow its progress" });
    await follow.waitFor();
    const runId = new URL((await follow.getAttribute("href")) ?? "", rig.cp.url).pathname.split("/").pop();
    const run = await waitForRun(client, runId ?? "", (r) => r.state === "completed" || r.state === "failed");
    expect(run.state).toBe("completed");
    expect(run.options).toEqual({ format: "custom" });
    // The refused first try is the one failed request the browser reports.
    expect((await problems()).filter((p) => !p.includes("status of 409"))).toEqual([]);
    await page.close();
  }, SLOW);

  it("fits a phone: list, page and form without sideways scrolling", async () => {
    const { page, problems } = await rig.open("/datasources", { token: rig.adminToken });
    await page.setViewportSize({ width: 390, height: 844 });
    const cards = page.getByRole("list", { name: "Datasources" });
    await cards.getByRole("link", { name: "billing" }).waitFor();
    const fits = () => page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
    expect(await fits()).toBe(true);
    expect(await captureBothSchemes(page, "datasources-narrow")).toEqual([]);
    await cards.getByRole("link", { name: "billing" }).click();
    await page.getByRole("heading", { name: "billing", level: 1 }).waitFor();
    expect(await fits()).toBe(true);
    expect(await captureBothSchemes(page, "datasource-detail-narrow")).toEqual([]);
    await page.getByRole("button", { name: "Edit" }).click();
    await page.getByRole("dialog", { name: "Edit billing" }).waitFor();
    expect(await captureBothSchemes(page, "datasource-edit-narrow")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  }, SLOW);

  it("retires the datasource after a confirmation that says what follows; it leaves the list", async () => {
    const { page, problems } = await rig.open(`/datasources/${datasourceId}`, { token: rig.adminToken });
    await page.getByRole("button", { name: "Retire" }).click();
    const dialog = page.getByRole("dialog", { name: "Retire datasource billing?" });
    await dialog.getByText("No running schedule backs it up.").waitFor();
    expect(await dialog.textContent()).toContain("Its backups stay");
    expect(await captureBothSchemes(page, "datasource-retire-dialog")).toEqual([]);
    await dialog.getByRole("button", { name: "Retire" }).click();
    await page.waitForURL(`${rig.cp.url}/datasources`);
    await page.getByRole("heading", { name: "No datasources yet" }).waitFor();
    expect((await api(rig.cp, rig.adminToken).get(`/datasources/${datasourceId}`)).status).toBe(404);
    expect(await problems()).toEqual([]);
    await page.close();
  }, SLOW);

  it("says so in the page when the datasource in the URL does not exist", async () => {
    const { page, problems } = await rig.open(`/datasources/${datasourceId}`, { token: rig.adminToken });
    const alert = page.getByRole("alert").filter({ hasText: "Could not load the datasource" });
    await alert.waitFor();
    expect(await alert.textContent()).toContain("was deleted");
    expect(await captureBothSchemes(page, "datasource-not-found")).toEqual([]);
    expect(except(404)(await problems())).toEqual([]);
    await page.close();
  }, SLOW);
});
