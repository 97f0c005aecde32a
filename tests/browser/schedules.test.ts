import type { Page } from "playwright-core";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, type Agent, type Api, enrollAgent, tempDir, waitFor, waitForAgentStatus } from "../support/processes.js";
import { startS3Server, type TestS3Server } from "../support/destination-servers.js";
import { createScratchDatabase, type ScratchDatabase } from "../support/postgres.js";
import { captureBothSchemes } from "./support/capture.js";
import { type ConsoleRig, startConsoleRig } from "./support/console-rig.js";

const ZONE = "America/Sao_Paulo";
const PASSWORD = "correct horse battery staple";

/** The text of each of the form's next five firings. */
const firings = (page: Page) => page.getByRole("list", { name: "Next five firings" }).getByRole("listitem").allTextContents();

/** The elements that reach past the window's right edge (none: nothing scrolls sideways). */
const overflowing = (page: Page) =>
  page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    return Array.from(document.querySelectorAll("body *"))
      .filter((e) => e.getBoundingClientRect().right > width + 1)
      .map((e) => `${e.tagName.toLowerCase()}.${e.className}`.slice(0, 120))
      .slice(0, 5);
  });

describe("the Schedules page, on a real control plane, agent and PostgreSQL", () => {
  let rig: ConsoleRig;
  let agent: Agent;
  let s3: TestS3Server;
  let db: ScratchDatabase;
  let client: Api;
  let dsId: string;
  let destId: string;
  let scheduleId: string;

  beforeAll(async () => {
    [rig, s3] = await Promise.all([startConsoleRig(), startS3Server()]);
    client = api(rig.cp, rig.adminToken);
    agent = await enrollAgent(rig.cp);
    await agent.start();
    await waitForAgentStatus(client, agent.agentId, "online");
    db = await createScratchDatabase("sched_ui");
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    await sql`CREATE TABLE orders (id int PRIMARY KEY, total numeric)`;
    await sql`INSERT INTO orders SELECT g, g * 1.5 FROM generate_series(1, 100) g`;
    await sql.end();
    const ds = await client.post("/datasources", { agentId: agent.agentId, name: "shop", engine: "postgres", connection: { host: "127.0.0.1", port: 5432, database: db.name, username: "postgres" } });
    expect(ds.status).toBe(201);
    dsId = ds.body.id;
    const dest = await client.post("/destinations", { name: "local disk", type: "local", config: { path: tempDir("sched-dest") } });
    expect(dest.status).toBe(201);
    destId = dest.body.id;
  }, 240_000); // a control plane, an agent coming online and a database: slow on a loaded machine
  afterAll(async () => {
    await agent?.process?.stop();
    await rig?.stop();
    await s3?.stop();
    await db?.drop();
  });

  it("creates a daily schedule at 03:00 in São Paulo and shows its next five firings on that zone's clock", async () => {
    const { page, problems } = await rig.open("/schedules", { token: rig.adminToken });
    await page.getByRole("heading", { name: "No schedules yet" }).waitFor();
    expect(await captureBothSchemes(page, "schedules-empty")).toEqual([]);
    await page.getByRole("link", { name: "New schedule" }).first().click();
    await page.getByRole("heading", { name: "New schedule", level: 1 }).waitFor();

    await page.getByRole("combobox", { name: "Datasource" }).click();
    await page.getByRole("option", { name: "shop (postgres)" }).click();
    await page.getByLabel("Destinations").first().click();
    await page.getByRole("option", { name: "local disk (local)" }).click();
    await page.keyboard.press("Escape");
    await page.getByRole("radiogroup", { name: "Runs" }).getByText("Daily").click();
    await page.getByLabel("Time of day").fill("03:00");
    await page.getByRole("combobox", { name: "Time zone" }).fill("Sao_Paulo");
    await page.getByRole("option", { name: ZONE }).click();

    await page.getByText("At 03:00 (cron 0 3 * * *)").waitFor();
    await page.getByRole("heading", { name: `Next five firings (${ZONE})` }).waitFor();
    // Five days at 03:00 in São Paulo (UTC-3), which is 06:00 in Lisbon (UTC+0 in winter), the browser's zone.
    await expect.poll(async () => (await firings(page)).filter((f) => f.includes(`03:00 (${ZONE})`) && f.endsWith("06:00 your time")).length, { timeout: 10_000 }).toBe(5);
    const days = (await firings(page)).map((f) => /\d{4}-\d{2}-\d{2}/.exec(f)?.[0]);
    expect(new Set(days).size).toBe(5);
    expect(await captureBothSchemes(page, "schedule-new")).toEqual([]);

    await page.getByRole("button", { name: "Create schedule" }).click();
    await page.waitForURL(/\/schedules\/sch_/);
    scheduleId = page.url().split("/").pop()!;
    await page.getByRole("heading", { name: "shop 0 3 * * *", level: 1 }).waitFor();
    const stored = await client.get(`/schedules/${scheduleId}`);
    expect(stored.body).toMatchObject({ datasourceId: dsId, cron: "0 3 * * *", timezone: ZONE, destinationIds: [destId], paused: false });
    expect(stored.body.nextFireAt).toMatch(/T03:00:00-03:00$/);
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it("lists the schedule in words, with its zone and its next firing in the viewer's zone", async () => {
    const { page, problems } = await rig.open("/schedules", { token: rig.adminToken });
    const row = page.getByRole("row", { name: /shop 0 3 \* \* \*/ });
    await row.waitFor();
    const text = await row.textContent();
    expect(text).toContain("At 03:00");
    expect(text).toContain(ZONE);
    expect(text).toMatch(/\d{4}-\d{2}-\d{2} 06:00/); // the next firing, in Lisbon
    expect(text).toContain("active");
    expect(await page.getByRole("columnheader", { name: "Next firing (Europe/Lisbon)" }).count()).toBe(1);
    expect(await captureBothSchemes(page, "schedules")).toEqual([]);
    await page.setViewportSize({ width: 390, height: 800 });
    await page.getByRole("list", { name: "Schedules" }).waitFor();
    // The shell's navigation slides away in 200 ms: the page settles, then nothing may stick out.
    await expect.poll(() => overflowing(page), { timeout: 5_000 }).toEqual([]);
    expect(await captureBothSchemes(page, "schedules-narrow")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it("pauses and resumes the schedule; the control plane agrees each time", async () => {
    const { page, problems } = await rig.open(`/schedules/${scheduleId}`, { token: rig.adminToken });
    await page.getByRole("button", { name: "Pause" }).click();
    await page.getByRole("button", { name: "Resume" }).waitFor();
    expect((await client.get(`/schedules/${scheduleId}`)).body).toMatchObject({ paused: true, nextFireAt: null });
    await page.getByRole("button", { name: "Resume" }).click();
    await page.getByRole("button", { name: "Pause" }).waitFor();
    expect((await client.get(`/schedules/${scheduleId}`)).body.paused).toBe(false);
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it("Run now starts a backup of the datasource to the schedule's destinations", async () => {
    const { page, problems } = await rig.open(`/schedules/${scheduleId}`, { token: rig.adminToken });
    await page.getByRole("button", { name: "Run now" }).click();
    const started = page.getByRole("status").filter({ hasText: "Backup started" });
    await started.waitFor();
    const runId = /run_\w+/.exec((await started.textContent()) ?? "")?.[0];
    expect(runId).toBeTruthy();
    const run = await waitFor("the run to finish", async () => {
      const res = await client.get(`/runs/${runId}`);
      return res.body && ["completed", "failed"].includes(res.body.state) ? res.body : undefined;
    });
    expect(run).toMatchObject({ kind: "backup", trigger: "manual", datasourceId: dsId, state: "completed" });
    expect(run.deliveries.map((d: { destinationId: string }) => d.destinationId)).toEqual([destId]);
    await page.mouse.move(0, 0); // the page at rest, not "Run now" under the pointer
    expect(await captureBothSchemes(page, "schedule")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it("adds a blackout window on the first firing's day: the next firings move to its end, or skip that day; Run now inside the agent's window offers Run anyway", async () => {
    const { page, problems } = await rig.open(`/schedules/${scheduleId}`, { token: rig.adminToken });
    await expect.poll(async () => (await firings(page)).length, { timeout: 10_000 }).toBe(5);
    const before = await firings(page);
    const day = before[0]!.slice(0, 3); // "Tue 2026-12-08 03:00 (America/Sao_Paulo)…"
    const date = (f: string) => /\d{4}-\d{2}-\d{2}/.exec(f)?.[0];

    await page.getByRole("button", { name: "Add a blackout window" }).click();
    const row = page.getByRole("group", { name: "Blackout window 1" });
    for (const d of ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]) {
      const box = row.getByRole("checkbox", { name: d, exact: true });
      if ((await box.isChecked()) !== (d === day)) await box.click();
    }
    await row.getByLabel("From").fill("02:00");
    await row.getByLabel("To").fill("04:00");
    // Deferred (the default): that day's firing runs when the window ends, at 04:00.
    await expect.poll(async () => (await firings(page))[0], { timeout: 10_000 }).toContain(`${date(before[0]!)} 04:00`);
    expect((await firings(page)).slice(1)).toEqual(before.slice(1));
    await page.getByRole("radio", { name: "is skipped (recorded as missed)" }).check();
    await expect.poll(async () => (await firings(page)).map(date), { timeout: 10_000 }).toEqual([...before.slice(1).map(date), expect.any(String)]);
    await page.evaluate(() => window.scrollTo(0, 0)); // a full-page capture of a scrolled page shows its sticky header midway
    expect(await captureBothSchemes(page, "schedule-blackout")).toEqual([]);
    await page.getByRole("button", { name: "Save changes" }).click();
    // Saved, the page restarts the form from the stored schedule (its updatedAt moved).
    await expect.poll(async () => (await client.get(`/schedules/${scheduleId}`)).body.blackout, { timeout: 10_000 }).toHaveLength(1);
    const stored = (await client.get(`/schedules/${scheduleId}`)).body;
    expect(stored).toMatchObject({ blackout: [{ days: [day.toLowerCase()], from: "02:00", to: "04:00" }], blackoutMisfire: "skip" });
    expect(date(stored.nextFireAt)).toBe(date(before[1]!));

    // The agent's window around now (UTC, every day): Run now is refused, then run anyway.
    const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const agentWindow = { days: ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], from: hhmm(Date.now() - 3_600_000), to: hhmm(Date.now() + 3_600_000) };
    expect((await client.patch(`/agents/${agent.agentId}`, { blackout: [agentWindow] })).status).toBe(200);
    try {
      await page.getByRole("button", { name: "Run now" }).click();
      const dialog = page.getByRole("dialog", { name: "The backup did not start" });
      await dialog.getByText("Inside a blackout window").waitFor();
      await dialog.getByText(`agent window mon,tue,wed,thu,fri,sat,sun ${agentWindow.from}-${agentWindow.to} (UTC)`, { exact: false }).waitFor();
      expect(await captureBothSchemes(page, "schedule-run-now-blackout")).toEqual([]);
      await dialog.getByRole("button", { name: "Run anyway" }).click();
      const started = page.getByRole("status").filter({ hasText: "Backup started" });
      await started.waitFor();
      const runId = /run_\w+/.exec((await started.textContent()) ?? "")?.[0];
      await waitFor("the forced run to finish", async () => {
        const res = await client.get(`/runs/${runId}`);
        return res.body && ["completed", "failed"].includes(res.body.state) ? res.body : undefined;
      });
    } finally {
      await client.patch(`/agents/${agent.agentId}`, { blackout: [] });
      await client.patch(`/schedules/${scheduleId}`, { blackout: [] });
    }
    // The refused Run now is the one failed request the browser reports.
    expect((await problems()).filter((p) => !p.includes("status of 409"))).toEqual([]);
    await page.close();
  });

  it("previews what a policy being edited would keep and delete among the schedule's own backups, saving nothing", async () => {
    // A bucket whose credentials may write and not delete (s3rver's write-only key pair): retention keeps its copies.
    const writeOnly = await client.post("/destinations", { name: "write-only bucket", type: "s3", config: s3.config({ prefix: "sched", ...s3.writeOnly }) });
    expect(writeOnly.status).toBe(201);
    expect(writeOnly.body.deleteDeniedAt).not.toBeNull();
    // A schedule firing every 10 s, keeping everything, makes a few backups of its own; then it is paused.
    const frequent = await client.post("/schedules", { datasourceId: dsId, name: "every ten seconds", cron: "*/10 * * * * *", timezone: ZONE, destinationIds: [destId, writeOnly.body.id] });
    expect(frequent.status).toBe(201);
    const id = frequent.body.id as string;
    const done = (r: { state: string; deliveries: { state: string }[] }) => r.state === "completed" && r.deliveries.every((d) => d.state === "completed");
    await waitFor("three scheduled backups", async () => ((await client.get(`/runs?scheduleId=${id}`)).body.items.filter(done).length >= 3 ? true : undefined), 120_000);
    await client.post(`/schedules/${id}/pause`);
    await waitFor("the schedule's runs to settle", async () => {
      const items = (await client.get(`/runs?scheduleId=${id}`)).body.items as { state: string; deliveries: { state: string }[] }[];
      return items.every((r) => !["pending", "queued", "running"].includes(r.state) && r.deliveries.every((d) => !["pending", "running"].includes(d.state))) ? true : undefined;
    });
    const drafts = (await client.get(`/schedules/${id}/retention/preview?keepLast=1&keepDaily=0&keepWeekly=0&keepMonthly=0&keepYearly=0&manualRetentionDays=0`)).body.destinations as { destinationId: string; kept: number; deleted: number }[];
    const draft = drafts.find((d) => d.destinationId === destId)!;
    expect(draft.deleted).toBeGreaterThanOrEqual(2);
    // The bucket keeps what the policy would delete there: the preview counts it kept, as the pass will.
    expect(drafts.find((d) => d.destinationId === writeOnly.body.id)).toMatchObject({ kept: draft.kept + draft.deleted, deleted: 0 });

    const { page, problems } = await rig.open(`/schedules/${id}`, { token: rig.adminToken });
    const region = page.getByRole("group", { name: "Retention" });
    await region.getByText(`${draft.kept + draft.deleted} kept`).first().waitFor();
    await region.getByText("0 to delete").first().waitFor();
    await region.getByLabel("Keep last").fill("1");
    await region.getByText(`${draft.kept} kept`).waitFor();
    await region.getByText(`${draft.deleted} to delete`).waitFor();
    expect(await region.getByRole("cell", { name: "delete", exact: true }).count()).toBe(draft.deleted);
    expect(await region.getByText("last 1/1").count()).toBeGreaterThanOrEqual(1);
    const kept = region.getByRole("cell").filter({ hasText: "kept: the credentials cannot delete" });
    expect(await kept.count()).toBe(draft.deleted);
    expect(await kept.first().textContent()).toContain("(the policy would delete it: last: all 1 used)");
    await page.evaluate(() => window.scrollTo(0, 0)); // a full-page capture of a scrolled page shows its sticky header midway
    expect(await captureBothSchemes(page, "schedule-retention")).toEqual([]);
    expect((await client.get(`/schedules/${id}`)).body.retention).toEqual(null);
    expect(await problems()).toEqual([]);
    await page.close();
  }, 180_000);

  it("offers a viewer the schedule to read, without Run now, Pause, Delete or Save", async () => {
    const created = await rig.cp.cli(["user", "create", "--email", "viewer@example.test", "--role", "viewer", "--password-stdin"], `${PASSWORD}\n`);
    expect(created.code).toBe(0);
    const { page, problems } = await rig.open(`/sign-in?redirect=${encodeURIComponent(`/schedules/${scheduleId}`)}`);
    await page.getByLabel("E-mail").fill("viewer@example.test");
    await page.getByRole("textbox", { name: "Password" }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "shop 0 3 * * *", level: 1 }).waitFor();
    await expect.poll(async () => (await firings(page)).length, { timeout: 10_000 }).toBe(5);
    for (const name of ["Run now", "Pause", "Delete", "Save changes"]) expect(await page.getByRole("button", { name }).count(), name).toBe(0);
    await page.getByText("changing, running or pausing it needs the operator role").waitFor();
    expect(await page.getByRole("combobox", { name: "Time zone" }).isDisabled()).toBe(true);
    expect(await captureBothSchemes(page, "schedule-viewer")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
    await rig.browser.context.clearCookies(); // the next tests act as the admin again
  });

  it("deletes the schedule after a confirmation; it is gone from the control plane", async () => {
    const { page, problems } = await rig.open(`/schedules/${scheduleId}`, { token: rig.adminToken });
    await page.getByRole("button", { name: "Delete" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete schedule shop 0 3 * * *?" });
    await dialog.waitFor();
    expect(await captureBothSchemes(page, "schedule-delete-dialog")).toEqual([]);
    await dialog.getByRole("button", { name: "Delete" }).click();
    await page.waitForURL(`${rig.cp.url}/schedules`);
    expect((await client.get(`/schedules/${scheduleId}`)).status).toBe(404);
    expect(await problems()).toEqual([]);
    await page.close();
  });
});
