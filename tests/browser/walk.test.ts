import path from "node:path";
import type { Page } from "playwright-core";
import postgres from "postgres";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase, snapshotTables } from "../support/postgres.js";
import { AGENT_BIN, type Api, api, ManagedProcess, tempDir, waitForRun } from "../support/processes.js";
import { sha256File } from "../support/restore.js";
import { loadBulkData } from "../support/sample-data.js";
import { runShownEnrollCommand } from "./support/enroll-command.js";
import { captureBothSchemes, SCREENSHOTS } from "./support/capture.js";
import { type ConsoleRig, signIn, startConsoleRig } from "./support/console-rig.js";

// The console walked through as a new user meets it, in one sequence against a real control plane,
// a real agent and real PostgreSQL, everything done through the pages (the API only checks results):
// the first admin from the setup link, an agent added with the command the page shows, a datasource,
// a destination, a daily schedule in another zone, "Run now" followed live to its end, the artifact
// downloaded, a restore into another database, and a viewer who finds no "Run now". Signing in
// through an OpenID provider has its own walk: tests/browser/sso.test.ts.

const ADMIN = { email: "walker@example.test", password: "the walking admin's long password" };
const VIEWER_EMAIL = "looker@example.test";
const ZONE = "America/Sao_Paulo";
const SOURCE = "walk-source";
const TARGET = "walk-target";
const DESTINATION = "walk-disk";
/** Each step's time: the light and dark captures with their axe scans take seconds each on a loaded 2-core machine. */
const STEP_MS = 240_000;

/** The browser logs each refused request (a 401 while signed out) as a console error; nothing else may be one. */
const unexpected = (problems: string[]) => problems.filter((p) => !/status of 401/.test(p));

/** Screenshots and scans with the pointer away from any button (a hovered button is a lighter shade). */
async function capture(page: Page, name: string): Promise<string[]> {
  await page.mouse.move(0, 0);
  return captureBothSchemes(page, `walk-${name}`);
}

describe("a new user's walk through the console", () => {
  let rig: ConsoleRig;
  let page: Page;
  let problems: () => Promise<string[]>;
  /** The first admin's API token, made with the CLI once the page created the admin: for checking results only. */
  let client: Api;
  let agent: ManagedProcess | undefined;
  let agentName = "";
  let source: ScratchDatabase;
  let target: ScratchDatabase;
  let sourceId = "";
  let targetId = "";
  let scheduleId = "";
  let backupId = "";

  beforeAll(async () => {
    // No admin: the control plane prints the setup link on stderr.
    rig = await startConsoleRig({}, { admin: false });
    source = await createScratchDatabase("hf_walk_src");
    target = await createScratchDatabase("hf_walk_dst");
    const sql = postgres(source.url, { max: 1, onnotice: () => {} });
    await sql`CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL, since date)`;
    await sql`INSERT INTO customers VALUES (1, 'Ada', '2024-01-02'), (2, 'Grace', '2025-03-04'), (3, 'Linus', NULL), (4, 'Zoë “quoted”', '2026-12-07')`;
    await sql.end();
    // Enough poorly compressible rows for a backup that lasts long enough to watch it advance.
    await loadBulkData(source.url, 80);
  }, STEP_MS);

  // A failed step leaves the page as it was: its picture says where the walk stopped.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === "fail") await page?.screenshot({ path: path.join(SCREENSHOTS, "walk-failed-step.png"), fullPage: true }).catch(() => {});
  });

  afterAll(async () => {
    await agent?.stop();
    await rig?.stop();
    await source?.drop();
    await target?.drop();
  }, STEP_MS);

  it("1. creates the first admin on the setup page the setup link opens", async () => {
    const link = rig.cp.setupUrl();
    expect(link).toMatch(/\/setup#token=hf_setup_/);
    ({ page, problems } = await rig.open(new URL(link!).pathname + new URL(link!).hash));
    await page.getByRole("heading", { name: "Create the first admin" }).waitFor();
    expect(await capture(page, "setup")).toEqual([]);
    await page.getByLabel("E-mail").fill(ADMIN.email);
    await page.locator('input[autocomplete="new-password"]').nth(0).fill(ADMIN.password);
    await page.locator('input[autocomplete="new-password"]').nth(1).fill(ADMIN.password);
    await page.getByRole("button", { name: "Create the admin and sign in" }).click();
    await page.waitForURL(`${rig.cp.url}/`);
    await page.getByRole("heading", { name: "Dashboard", level: 1 }).waitFor();
    await page.getByRole("button", { name: `Account: ${ADMIN.email} (admin)` }).waitFor();
    expect(await capture(page, "dashboard-first")).toEqual([]);

    const token = await rig.cp.cli(["api-token", "create", "--email", ADMIN.email]);
    expect(token.code).toBe(0);
    client = api(rig.cp, token.stdout.trim());
    expect((await client.get("/users")).body.items.map((u: { email: string; role: string }) => [u.email, u.role])).toEqual([[ADMIN.email, "admin"]]);
    expect(await problems()).toEqual([]);
  }, STEP_MS);

  it("2. adds an agent with the command the dialog shows and sees it come online there, without a reload", async () => {
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Agents" }).click();
    await page.getByRole("heading", { name: "No agents yet" }).waitFor();
    await page.getByRole("button", { name: "Add agent" }).click();
    const dialog = page.getByRole("dialog", { name: "Add agent" });
    await dialog.getByLabel("Name").fill("walk-agent");
    await dialog.getByRole("button", { name: "Make the commands" }).click();
    await dialog.getByText("Waiting for the new agent to come online").waitFor();
    const command = (await dialog.locator("pre").filter({ hasText: "holdfast-agent enroll" }).textContent()) ?? "";
    expect(command).toContain(`holdfast-agent enroll --server ${rig.cp.url}`);
    expect(await capture(page, "agent-add-waiting")).toEqual([]);

    const dataDir = tempDir("walk-agent");
    const agentId = await runShownEnrollCommand(command, dataDir);
    agent = ManagedProcess.start(AGENT_BIN, ["run", "--data-dir", dataDir]);
    const online = dialog.getByRole("status").filter({ hasText: "is online" });
    await online.waitFor({ timeout: 60_000 });
    const listed = (await client.get("/agents")).body.items.find((a: { id: string }) => a.id === agentId);
    expect(listed.status).toBe("online");
    agentName = listed.name;
    expect(await online.textContent()).toContain(`${agentName} is online`);
    expect(await capture(page, "agent-add-online")).toEqual([]);
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    expect(await problems()).toEqual([]);
  }, STEP_MS);

  /** Adds a PostgreSQL datasource through the form (trust authentication) and returns its id, from the page it lands on. */
  async function addDatasource(name: string, database: string, screenshot?: string): Promise<string> {
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Datasources" }).click();
    await page.getByRole("heading", { name: "Datasources", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Add datasource" }).first().click();
    const dialog = page.getByRole("dialog", { name: "Add a datasource" });
    await dialog.getByRole("textbox", { name: "Name" }).fill(name);
    await dialog.getByRole("combobox", { name: "Agent", exact: true }).click();
    await page.getByRole("option", { name: new RegExp(agentName) }).click();
    await dialog.getByRole("textbox", { name: "Host", exact: true }).fill("127.0.0.1");
    expect(await dialog.getByRole("textbox", { name: "Port", exact: true }).inputValue()).toBe("5432");
    await dialog.getByRole("textbox", { name: "Database" }).fill(database);
    await dialog.getByRole("textbox", { name: "User" }).fill("postgres");
    await dialog.getByRole("radiogroup", { name: "Authentication" }).getByText("None", { exact: true }).click();
    if (screenshot) expect(await capture(page, screenshot)).toEqual([]);
    await dialog.getByRole("button", { name: "Add datasource" }).click();
    await page.getByRole("heading", { name, level: 1 }).waitFor();
    return decodeURIComponent(new URL(page.url()).pathname.split("/").pop() ?? "");
  }

  it("3. adds the PostgreSQL datasource through the form and its connection test passes", async () => {
    sourceId = await addDatasource(SOURCE, source.name, "datasource-add");
    expect((await client.get(`/datasources/${sourceId}`)).body).toMatchObject({ name: SOURCE, engine: "postgres", connection: { database: source.name } });
    await page.getByRole("button", { name: "Test connection" }).click();
    const connected = page.getByRole("alert").filter({ hasText: "Connected" });
    await connected.waitFor({ timeout: 60_000 });
    expect(await connected.textContent()).toMatch(/PostgreSQL \d+.* answered in \d+ ms/);
    expect(await capture(page, "datasource")).toEqual([]);
    expect(await problems()).toEqual([]);
  }, STEP_MS);

  it("4. adds a local destination in a temporary folder", async () => {
    const folder = tempDir("walk-destination");
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Destinations" }).click();
    await page.getByRole("heading", { name: "No destinations yet" }).waitFor();
    await page.getByRole("button", { name: "Add destination" }).click();
    const dialog = page.getByRole("dialog", { name: "Add a destination" });
    await dialog.getByRole("textbox", { name: "Name" }).fill(DESTINATION);
    await dialog.getByRole("textbox", { name: "Folder" }).fill(folder);
    expect(await capture(page, "destination-add")).toEqual([]);
    await dialog.getByRole("button", { name: "Add destination" }).click();
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("listitem", { name: DESTINATION }).getByText(folder).waitFor();
    expect(await capture(page, "destinations")).toEqual([]);
    expect((await client.get("/destinations")).body.items).toMatchObject([{ name: DESTINATION, type: "local", config: { path: folder } }]);
    expect(await problems()).toEqual([]);
  }, STEP_MS);

  it("5. creates a daily schedule at 03:00 in São Paulo and sees its next five firings in that zone", async () => {
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Schedules" }).click();
    await page.getByRole("heading", { name: "No schedules yet" }).waitFor();
    await page.getByRole("link", { name: "New schedule" }).first().click();
    await page.getByRole("heading", { name: "New schedule", level: 1 }).waitFor();
    await page.getByRole("combobox", { name: "Datasource" }).click();
    await page.getByRole("option", { name: `${SOURCE} (postgres)` }).click();
    await page.getByLabel("Destinations").first().click();
    await page.getByRole("option", { name: `${DESTINATION} (local)` }).click();
    await page.keyboard.press("Escape");
    await page.getByRole("radiogroup", { name: "Runs" }).getByText("Daily").click();
    await page.getByLabel("Time of day").fill("03:00");
    await page.getByRole("combobox", { name: "Time zone" }).fill("Sao_Paulo");
    await page.getByRole("option", { name: ZONE }).click();

    await page.getByRole("heading", { name: `Next five firings (${ZONE})` }).waitFor();
    // 03:00 in São Paulo (UTC-3) is 06:00 in Lisbon (UTC+0 in winter), the browser's zone.
    const firings = () => page.getByRole("list", { name: "Next five firings" }).getByRole("listitem").allTextContents();
    await expect.poll(async () => (await firings()).filter((f) => f.includes(`03:00 (${ZONE})`) && f.endsWith("06:00 your time")).length, { timeout: 15_000 }).toBe(5);
    expect(new Set((await firings()).map((f) => /\d{4}-\d{2}-\d{2}/.exec(f)?.[0])).size).toBe(5);
    expect(await capture(page, "schedule-new")).toEqual([]);

    await page.getByRole("button", { name: "Create schedule" }).click();
    await page.waitForURL(/\/schedules\/sch_/);
    scheduleId = decodeURIComponent(page.url().split("/").pop()!);
    await page.getByRole("heading", { name: `${SOURCE} 0 3 * * *`, level: 1 }).waitFor();
    const stored = (await client.get(`/schedules/${scheduleId}`)).body;
    expect(stored).toMatchObject({ datasourceId: sourceId, cron: "0 3 * * *", timezone: ZONE, paused: false });
    expect(stored.nextFireAt).toMatch(/T03:00:00-03:00$/);
    expect(await problems()).toEqual([]);
  }, STEP_MS);

  /** Marks the document: a reload or a full navigation loses the mark, a live update keeps it. */
  const markDocument = () => page.evaluate(() => ((window as unknown as { holdfastWalkMark: boolean }).holdfastWalkMark = true));
  const stillMarked = () => page.evaluate(() => (window as unknown as { holdfastWalkMark?: boolean }).holdfastWalkMark === true);
  const doneText = () => page.getByRole("region", { name: "Progress" }).locator("dt:text-is('Done') + dd").textContent({ timeout: 1_000 }).catch(() => null);

  it("6. runs the schedule now and follows the run on its page, live, until it completes", async () => {
    await page.getByRole("button", { name: "Run now" }).click();
    const started = page.getByRole("status").filter({ hasText: "Backup started" });
    await started.waitFor();
    backupId = /run_\w+/.exec((await started.textContent()) ?? "")?.[0] ?? "";
    expect(backupId).not.toBe("");
    // "Follow it on the Runs page": from there, to the run's own page.
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Runs" }).click();
    await page.getByRole("row", { name: new RegExp(backupId) }).getByRole("link").first().click();
    await page.waitForURL(`${rig.cp.url}/runs/${backupId}`);
    await page.getByRole("heading", { name: "Backup run", level: 1 }).waitFor();
    await markDocument();

    // Two different amounts done, one after the other, from the live stream.
    const seen = new Set<string>();
    await expect.poll(async () => {
      const done = await doneText();
      if (done && /\d/.test(done)) seen.add(done);
      return seen.size;
    }, { timeout: 90_000, interval: 200 }).toBeGreaterThanOrEqual(2);
    // The running page as it is now (the light and dark pair takes seconds: the run may be over by then).
    await page.screenshot({ path: path.join(SCREENSHOTS, "walk-run-progress-light.png"), fullPage: true });

    await page.getByRole("link", { name: "Download" }).waitFor({ timeout: 120_000 });
    await page.locator("header, main").getByText("completed", { exact: true }).first().waitFor();
    const run = await waitForRun(client, backupId, (r) => r.state === "completed" && r.deliveries.every((d: { state: string }) => d.state === "completed"));
    expect(run).toMatchObject({ kind: "backup", datasourceId: sourceId });
    await expect.poll(() => page.getByTestId("run-sha256").textContent(), { timeout: 30_000 }).toBe(run.sha256);
    await page.getByRole("region", { name: "Deliveries" }).getByRole("row", { name: new RegExp(DESTINATION) }).getByText("completed").waitFor({ timeout: 30_000 });
    expect(await stillMarked()).toBe(true);
    expect(await capture(page, "run-completed")).toEqual([]);
    expect(await problems()).toEqual([]);
  }, STEP_MS);

  it("7. downloads the artifact from the run page; its SHA-256 is the run's", async () => {
    const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("link", { name: "Download" }).click()]);
    const saved = path.join(tempDir("walk-download"), download.suggestedFilename());
    await download.saveAs(saved);
    const run = (await client.get(`/runs/${backupId}`)).body;
    expect(await sha256File(saved)).toBe(run.sha256);
    expect(await problems()).toEqual([]);
  }, STEP_MS);

  it("8. restores the backup into another database, registered as a datasource, confirming with its name: it equals the source", async () => {
    targetId = await addDatasource(TARGET, target.name);
    await page.goto(`${rig.cp.url}/runs/${backupId}`);
    await page.getByRole("heading", { name: "Backup run", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Restore…" }).click();
    const dialog = page.getByRole("dialog", { name: "Restore this backup" });
    await dialog.getByRole("combobox", { name: "Restore into" }).click();
    await page.getByRole("option", { name: TARGET }).click();
    await dialog.getByRole("checkbox", { name: "Overwrite what the target holds" }).check();
    await dialog.getByRole("textbox", { name: `Type ${TARGET} to confirm` }).fill(TARGET);
    expect(await capture(page, "restore-dialog")).toEqual([]);
    await dialog.getByRole("button", { name: `Overwrite ${TARGET}` }).click();

    await page.waitForURL((url) => url.pathname.startsWith("/runs/") && !url.pathname.endsWith(backupId));
    await page.getByRole("heading", { name: "Restore run", level: 1 }).waitFor();
    const restoreId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
    await page.locator("main").getByText("completed", { exact: true }).first().waitFor({ timeout: 180_000 });
    const run = await waitForRun(client, restoreId, (r) => r.state === "completed" || r.state === "failed");
    expect(run).toMatchObject({ kind: "restore", state: "completed", sourceRunId: backupId, datasourceId: targetId });
    const [before, after] = await Promise.all([snapshotTables(source.url), snapshotTables(target.url)]);
    expect(after["public.customers"]).toHaveLength(4);
    expect(after).toEqual(before);
    expect(await capture(page, "restore-completed")).toEqual([]);
    expect(await problems()).toEqual([]);
  }, STEP_MS);

  it("9. creates a viewer, signs out, signs in as the viewer and finds no way to run a backup", async () => {
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Users" }).click();
    await page.getByRole("row", { name: new RegExp(ADMIN.email) }).waitFor();
    await page.getByRole("button", { name: "New user" }).click();
    const dialog = page.getByRole("dialog", { name: "New user" });
    await dialog.getByLabel("E-mail").fill(VIEWER_EMAIL);
    await dialog.getByLabel("Role").click();
    await page.getByRole("option", { name: "viewer", exact: true }).click();
    await dialog.getByRole("button", { name: "Create user" }).click();
    await dialog.getByText("Copy the password now").waitFor();
    const viewerPassword = (await dialog.locator("pre").textContent()) ?? "";
    expect(viewerPassword.length).toBeGreaterThanOrEqual(12);
    await dialog.getByRole("button", { name: "Done" }).click();
    await page.getByRole("row", { name: new RegExp(VIEWER_EMAIL) }).waitFor();
    expect(await capture(page, "users")).toEqual([]);

    await page.getByRole("button", { name: `Account: ${ADMIN.email} (admin)` }).click();
    await page.getByRole("menuitem", { name: "Sign out" }).click();
    await page.waitForURL(`${rig.cp.url}/sign-in`);
    await signIn(page, VIEWER_EMAIL, viewerPassword);
    await page.getByRole("button", { name: `Account: ${VIEWER_EMAIL} (viewer)` }).waitFor();

    await page.goto(`${rig.cp.url}/schedules/${scheduleId}`);
    await page.getByRole("heading", { name: `${SOURCE} 0 3 * * *`, level: 1 }).waitFor();
    await page.getByText("changing, running or pausing it needs the operator role").waitFor();
    expect(await page.getByRole("button", { name: "Run now" }).count()).toBe(0);
    expect(await capture(page, "schedule-viewer")).toEqual([]);

    await page.goto(`${rig.cp.url}/datasources/${sourceId}`);
    await page.getByRole("heading", { name: SOURCE, level: 1 }).waitFor();
    await page.getByRole("definition").getByText(source.name, { exact: true }).waitFor();
    expect(await page.getByRole("button", { name: "Run now" }).count()).toBe(0);
    expect(await page.getByRole("button", { name: "Back up now" }).count()).toBe(0);
    expect(await capture(page, "datasource-viewer")).toEqual([]);
    expect(unexpected(await problems())).toEqual([]);
  }, STEP_MS);
});
