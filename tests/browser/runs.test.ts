import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createScratchDatabase, type ScratchDatabase, snapshotTables } from "../support/postgres.js";
import { type Agent, type Api, api, enrollAgent, tempDir, waitForAgentStatus, waitForRun } from "../support/processes.js";
import { sha256File } from "../support/restore.js";
import { loadAwkwardData, loadBulkData } from "../support/sample-data.js";
import { captureBothSchemes, SCREENSHOTS } from "./support/capture.js";
import { type ConsoleRig, startConsoleRig } from "./support/console-rig.js";

// The runs pages against a real control plane, a real agent and real PostgreSQL: a backup followed
// live to its end, its artifact downloaded, restored into another database through the page, and
// the history filtered.
describe("runs and the run page", () => {
  let rig: ConsoleRig;
  let agent: Agent;
  let client: Api;
  const dbs: ScratchDatabase[] = [];
  let source: ScratchDatabase;
  let target: ScratchDatabase;
  let sourceDs: string;
  let targetDs: string;
  let destId: string;
  let backupId: string | undefined;
  let restoreId: string | undefined;
  let failedId: string | undefined;

  const datasource = async (name: string, database: string) => {
    const res = await client.post("/datasources", { agentId: agent.agentId, name, engine: "postgres", connection: { host: "127.0.0.1", port: 5432, database, username: "postgres" } });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  beforeAll(async () => {
    rig = await startConsoleRig();
    client = api(rig.cp, rig.adminToken);
    agent = await enrollAgent(rig.cp);
    await agent.start();
    source = await createScratchDatabase("hf_web_src");
    target = await createScratchDatabase("hf_web_dst");
    dbs.push(source, target);
    await loadAwkwardData(source.url);
    // Enough poorly compressible rows, compressed hard, for a backup that takes a few seconds.
    await loadBulkData(source.url, 60);
    await waitForAgentStatus(client, agent.agentId, "online");
    sourceDs = await datasource("orders-production", source.name);
    targetDs = await datasource("orders-staging", target.name);
    const dest = await client.post("/destinations", { name: "local disk", type: "local", config: { path: tempDir("web-dest") } });
    expect(dest.status).toBe(201);
    destId = dest.body.id;
  }, 240_000);

  // A test that failed half-way leaves its tab open, holding its event stream: closed here so the
  // next test gets the browser's connections.
  afterEach(async () => {
    for (const [i, open] of (rig?.browser.context.pages() ?? []).entries()) {
      await open.screenshot({ path: path.join(SCREENSHOTS, `runs-left-open-${i}.png`), fullPage: true }).catch(() => {});
      await open.close();
    }
  });

  afterAll(async () => {
    await agent?.process?.stop();
    await rig?.stop();
    for (const db of dbs) await db.drop();
  });

  /** Marks the document: a reload or a full navigation loses the mark, a live update keeps it. */
  const markDocument = (page: Page) => page.evaluate(() => ((window as unknown as { holdfastTestMark: boolean }).holdfastTestMark = true));
  const stillMarked = (page: Page) => page.evaluate(() => (window as unknown as { holdfastTestMark?: boolean }).holdfastTestMark === true);
  const doneText = (page: Page) => page.getByRole("region", { name: "Progress" }).locator("dt:text-is('Done') + dd").textContent({ timeout: 1_000 }).catch(() => null);

  it("shows an empty history with what makes a run appear", async () => {
    const { page, problems } = await rig.open("/runs", { token: rig.adminToken });
    await page.getByRole("heading", { name: "No runs yet" }).waitFor();
    expect(await captureBothSchemes(page, "runs-empty")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it("follows a manual backup on its page without a reload: progress advances, then it completes", async () => {
    const started = await client.post(`/datasources/${sourceDs}/backups`, { destinationIds: [destId], options: { compression: { codec: "gzip", level: 9 } } });
    expect(started.status).toBe(202);
    backupId = started.body.runId as string;
    const { page, problems } = await rig.open(`/runs/${backupId}`, { token: rig.adminToken });
    await page.getByRole("heading", { name: "Backup run", level: 1 }).waitFor();
    await markDocument(page);

    // Two different amounts of dumped data, one after the other, from the live stream.
    const seen = new Set<string>();
    await expect.poll(async () => {
      const done = await doneText(page);
      if (done && /\d/.test(done)) seen.add(done);
      return seen.size;
    }, { timeout: 60_000, interval: 200 }).toBeGreaterThanOrEqual(2);
    // The running page as it is now (the light and dark pair below takes seconds: the run may be over).
    await page.screenshot({ path: path.join(SCREENSHOTS, "run-progress-light.png"), fullPage: true });

    await page.getByRole("link", { name: "Download" }).waitFor({ timeout: 90_000 });
    expect(await page.locator("header, main").getByText("completed", { exact: true }).first().isVisible()).toBe(true);
    const run = await waitForRun(client, backupId, (r) => r.state === "completed" && r.deliveries.every((d: { state: string }) => d.state === "completed"));
    await expect.poll(() => page.getByTestId("run-sha256").textContent(), { timeout: 30_000 }).toBe(run.sha256);
    const deliveries = page.getByRole("region", { name: "Deliveries" });
    await deliveries.getByRole("row", { name: /local disk/ }).getByText("completed").waitFor();
    expect(await stillMarked(page)).toBe(true);
    expect(await captureBothSchemes(page, "run-completed")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  }, 180_000);

  it("downloads the artifact through a same-origin link whose bytes hash to the run's SHA-256", async () => {
    expect(backupId).toBeDefined();
    const { page, problems } = await rig.open(`/runs/${backupId}`, { token: rig.adminToken });
    // The link is followed with the session cookie alone, as after signing in: no test header.
    const signedIn = await page.request.post(`${rig.cp.url}/api/v1/session`, { data: { email: "admin@example.test", password: "correct horse battery staple" } });
    expect(signedIn.ok()).toBe(true);
    await page.unroute(`${rig.cp.url}/api/v1/**`);
    const link = page.getByRole("link", { name: "Download" });
    expect(await link.getAttribute("href")).toBe(`/api/v1/runs/${backupId}/artifact`);
    const [download] = await Promise.all([page.waitForEvent("download"), link.click()]);
    const saved = path.join(tempDir("web-download"), download.suggestedFilename());
    await download.saveAs(saved);
    const run = (await client.get(`/runs/${backupId}`)).body;
    expect(await sha256File(saved)).toBe(run.sha256);
    expect((await readFile(saved)).length).toBe(run.sizeBytes);
    expect(await problems()).toEqual([]);
    await page.close();
  }, 120_000);

  it("restores into another PostgreSQL database, confirming the target by name, and the copy equals the source", async () => {
    expect(backupId).toBeDefined();
    const { page, problems } = await rig.open(`/runs/${backupId}`, { token: rig.adminToken });
    await page.getByRole("button", { name: "Restore…" }).click();
    const dialog = page.getByRole("dialog", { name: "Restore this backup" });
    await dialog.getByRole("combobox", { name: "Restore into" }).click();
    await page.getByRole("option", { name: "orders-staging" }).click();
    await dialog.getByRole("checkbox", { name: "Overwrite what the target holds" }).check();
    const confirm = dialog.getByRole("textbox", { name: "Type orders-staging to confirm" });
    await confirm.fill("orders");
    await dialog.getByRole("button", { name: "Overwrite orders-staging" }).click();
    await dialog.getByText("Type orders-staging to confirm", { exact: true }).last().waitFor();
    expect(await captureBothSchemes(page, "run-restore-dialog")).toEqual([]);
    await confirm.fill("orders-staging");
    await dialog.getByRole("button", { name: "Overwrite orders-staging" }).click();

    await page.waitForURL((url) => url.pathname.startsWith("/runs/") && !url.pathname.endsWith(backupId!));
    await page.getByRole("heading", { name: "Restore run", level: 1 }).waitFor();
    restoreId = decodeURIComponent(new URL(page.url()).pathname.split("/").pop()!);
    const run = await waitForRun(client, restoreId, (r) => r.state === "completed" || r.state === "failed", 120_000);
    expect(run).toMatchObject({ kind: "restore", state: "completed", sourceRunId: backupId, datasourceId: targetDs });
    await page.locator("main").getByText("completed", { exact: true }).first().waitFor();
    const [before, after] = await Promise.all([snapshotTables(source.url), snapshotTables(target.url)]);
    expect(Object.keys(after)).toContain("public.bulk");
    expect(after).toEqual(before);
    expect(await captureBothSchemes(page, "run-restore")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  }, 180_000);

  it("shows a failed run's catalog code and what to do", async () => {
    // The target holds the restored tables now: a restore without overwrite is refused by the agent.
    const started = await client.post(`/runs/${backupId}/restore`, { targetDatasourceId: targetDs });
    expect(started.status).toBe(202);
    const run = await waitForRun(client, started.body.runId, (r) => r.state === "failed");
    expect(run.error.code).toBe("RESTORE_TARGET_NOT_EMPTY");
    failedId = run.runId;
    const { page, problems } = await rig.open(`/runs/${run.runId}`, { token: rig.adminToken });
    const alert = page.getByRole("alert").filter({ hasText: "This run failed" });
    await alert.waitFor();
    expect(await alert.textContent()).toContain(run.error.code);
    expect(await alert.textContent()).toContain("What to do:");
    expect(await captureBothSchemes(page, "run-failed")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it("filters the history by status, trigger and kind, in the URL: a reload keeps the filter", async () => {
    const { page, problems } = await rig.open("/runs", { token: rig.adminToken });
    const rows = page.getByRole("table").getByRole("row");
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(4);
    expect(await captureBothSchemes(page, "runs")).toEqual([]);

    await page.getByRole("combobox", { name: "Kind" }).click();
    await page.getByRole("option", { name: "restore" }).click();
    await page.waitForURL(/kind=restore/);
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(3);
    expect(await rows.nth(1).textContent()).toContain(failedId);
    expect(await rows.nth(2).textContent()).toContain(restoreId);

    await page.goto(`${rig.cp.url}/runs?state=failed&trigger=manual`);
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
    expect(await rows.nth(1).textContent()).toContain(failedId);
    await page.reload();
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
    expect(await page.getByRole("combobox", { name: "Status" }).inputValue()).toBe("failed");

    await page.goto(`${rig.cp.url}/runs?trigger=schedule`);
    await page.getByRole("heading", { name: "No run matches these filters" }).waitFor();
    await page.getByRole("button", { name: "Clear filters" }).last().click();
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(4);
    expect(new URL(page.url()).search).toBe("");
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it("fits a phone: each run is a card, nothing scrolls sideways", async () => {
    const { page, problems } = await rig.open("/runs", { token: rig.adminToken });
    await page.setViewportSize({ width: 390, height: 844 });
    const cards = page.getByRole("list", { name: "Runs" }).getByRole("listitem");
    await expect.poll(() => cards.count(), { timeout: 30_000 }).toBe(3);
    // Each status word is shown whole, not cut to "FAIL…".
    const badges = cards.locator(".mantine-Badge-label");
    expect(await badges.evaluateAll((els) => els.map((el) => el.scrollWidth <= el.clientWidth))).toEqual([true, true, true]);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
    expect(await captureBothSchemes(page, "runs-narrow")).toEqual([]);
    await page.goto(`${rig.cp.url}/runs/${backupId}`);
    await page.getByRole("heading", { name: "Backup run", level: 1 }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
    expect(await captureBothSchemes(page, "run-narrow")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it("says an unknown run id is not found, in the page", async () => {
    const { page, problems } = await rig.open("/runs/run_does_not_exist", { token: rig.adminToken });
    await page.getByRole("heading", { name: "Run not found", level: 1 }).waitFor();
    expect(await page.getByText("There is no run run_does_not_exist").count()).toBe(1);
    expect(await captureBothSchemes(page, "run-not-found")).toEqual([]);
    // The 404 of the run is the browser's console error; nothing else may be.
    expect((await problems()).filter((p) => !p.includes("404"))).toEqual([]);
    await page.close();
  });

  it("shares one event stream between two tabs; when the leading tab closes, the other takes over", async () => {
    const streams: string[] = [];
    rig.browser.context.on("request", (r) => {
      if (new URL(r.url()).pathname === "/api/v1/events") streams.push(r.url());
    });
    const first = await rig.open("/runs", { token: rig.adminToken });
    await expect.poll(() => first.page.getByRole("table").getByRole("row").count(), { timeout: 30_000 }).toBe(4);
    const second = await rig.open("/runs", { token: rig.adminToken });
    const rows = second.page.getByRole("table").getByRole("row");
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(4);

    // A new run shows in the second tab through the first tab's stream (the list does not poll).
    const started = await client.post(`/datasources/${sourceDs}/backups`, { destinationIds: [destId] });
    expect(started.status).toBe(202);
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(5);
    expect(await rows.nth(1).textContent()).toContain(started.body.runId);
    expect(streams).toHaveLength(1);

    await first.page.close();
    await expect.poll(() => streams.length, { timeout: 30_000 }).toBe(2);
    const cancelled = await client.post(`/runs/${started.body.runId}/cancel`, {});
    expect(cancelled.status).toBe(200);
    await rows.nth(1).getByText("cancelled", { exact: true }).waitFor();
    expect(await first.problems()).toEqual([]);
    expect(await second.problems()).toEqual([]);
    await second.page.close();
  }, 120_000);

  it("validates the backup's stored copy, then copies it to a second destination, which then validates too", async () => {
    expect(backupId).toBeDefined();
    const second = await client.post("/destinations", { name: "second disk", type: "local", config: { path: tempDir("web-dest-2") } });
    expect(second.status).toBe(201);
    const { page, problems } = await rig.open(`/runs/${backupId}`, { token: rig.adminToken });

    await page.getByRole("button", { name: "Validate…" }).click();
    const validate = page.getByRole("dialog", { name: "Validate the stored copies" });
    await validate.getByRole("button", { name: "Validate", exact: true }).click();
    const verdicts = validate.getByRole("table", { name: "Verdict per copy" });
    await verdicts.getByRole("row", { name: /local disk.*ok/ }).waitFor();
    await validate.getByRole("button", { name: "Done" }).click();

    await page.getByRole("button", { name: "Copy to destination…" }).click();
    const copy = page.getByRole("dialog", { name: "Copy this backup to another destination" });
    await copy.getByRole("combobox", { name: "Destination" }).click();
    // Only the destination lacking a copy is offered.
    expect(await page.getByRole("option").allTextContents()).toEqual(["second disk"]);
    await page.getByRole("option", { name: "second disk" }).click();
    await copy.getByRole("button", { name: "Copy", exact: true }).click();
    await copy.waitFor({ state: "hidden" });
    const row = page.getByRole("region", { name: "Deliveries" }).getByRole("row", { name: /second disk/ });
    await row.getByText("completed", { exact: true }).waitFor({ timeout: 60_000 });

    await page.getByRole("button", { name: "Validate…" }).click();
    await validate.getByRole("button", { name: "Validate", exact: true }).click();
    await verdicts.getByRole("row", { name: /second disk.*ok/ }).waitFor();
    expect(await verdicts.getByRole("row").count()).toBe(3);
    expect(await problems()).toEqual([]);
    await page.close();
  }, 120_000);

  it("holds the backup with a reason (admin): held on its page and in the list, not deletable, hidden from an operator; released, Delete is back", async () => {
    expect(backupId).toBeDefined();
    const { page, problems } = await rig.open(`/runs/${backupId}`, { token: rig.adminToken });
    await page.getByRole("button", { name: "Hold", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Put this backup under a legal hold" });
    // An empty reason is refused in the form, naming the field; nothing is sent.
    await dialog.getByRole("button", { name: "Hold backup" }).click();
    await dialog.getByText("must say why the backup is held").waitFor();
    expect((await client.get(`/runs/${backupId}`)).body.hold).toBeNull();
    await dialog.getByRole("textbox", { name: "Reason" }).fill("Case 2026-17: keep for counsel");
    await dialog.getByRole("button", { name: "Hold backup" }).click();
    await dialog.waitFor({ state: "hidden" });

    const hold = page.getByTestId("run-hold");
    await hold.waitFor();
    expect(await hold.textContent()).toMatch(/Held by admin@example\.test since .*: Case 2026-17: keep for counsel/);
    expect(await page.locator("header, main").getByText("held", { exact: true }).count()).toBeGreaterThanOrEqual(1);
    expect(await page.getByRole("button", { name: "Delete backup" }).count()).toBe(0);
    expect((await client.get(`/runs/${backupId}`)).body.hold).toMatchObject({ heldBy: "admin@example.test", reason: "Case 2026-17: keep for counsel" });
    expect(await captureBothSchemes(page, "run-held")).toEqual([]);
    // Changing the reason starts from the one held now.
    await page.getByRole("button", { name: "Change hold reason" }).click();
    const change = page.getByRole("dialog", { name: "Change the hold's reason" });
    await expect.poll(() => change.getByRole("textbox", { name: "Reason" }).inputValue()).toBe("Case 2026-17: keep for counsel");
    await change.getByRole("button", { name: "Cancel" }).click();
    await change.waitFor({ state: "hidden" });

    await page.goto(`${rig.cp.url}/runs`);
    const row = page.getByRole("table").getByRole("row", { name: new RegExp(backupId!) });
    await row.getByText("held", { exact: true }).waitFor();
    expect(await page.getByRole("table").getByText("held", { exact: true }).count()).toBe(1);

    // An operator sees the hold, and neither the hold buttons nor Delete.
    const user = await client.post("/users", { email: "ops-hold@example.test", role: "operator", password: "an operator's long password" });
    expect(user.status).toBe(201);
    const token = await client.post("/api-tokens", { name: "ops", userId: user.body.id });
    expect(token.status).toBe(201);
    const operator = await rig.open(`/runs/${backupId}`, { token: token.body.token });
    await operator.page.getByTestId("run-hold").waitFor();
    await operator.page.getByRole("button", { name: "Restore…" }).waitFor();
    for (const name of ["Hold", "Change hold reason", "Release hold", "Delete backup"]) expect(await operator.page.getByRole("button", { name, exact: true }).count()).toBe(0);
    expect(await operator.problems()).toEqual([]);
    await operator.page.close();

    await page.goto(`${rig.cp.url}/runs/${backupId}`);
    await page.getByRole("button", { name: "Release hold" }).click();
    const release = page.getByRole("dialog", { name: "Release the legal hold?" });
    await release.getByRole("button", { name: "Release hold" }).click();
    await release.waitFor({ state: "hidden" });
    await page.getByRole("button", { name: "Delete backup" }).waitFor();
    expect(await page.getByTestId("run-hold").count()).toBe(0);
    expect((await client.get(`/runs/${backupId}`)).body.hold).toBeNull();
    const audit = (await client.get("/audit?limit=50")).body.items as { action: string; status: number }[];
    expect(audit.filter((a) => a.action.endsWith("/runs/:runId/hold")).map((a) => `${a.action} ${a.status}`)).toEqual(["DELETE /runs/:runId/hold 200", "POST /runs/:runId/hold 200"]);
    expect(await problems()).toEqual([]);
    await page.close();
  }, 120_000);

  it("deletes the newest good backup only when told to delete it anyway", async () => {
    const { page, problems } = await rig.open(`/runs/${backupId}`, { token: rig.adminToken });
    await page.getByRole("button", { name: "Delete backup" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete this backup?" });
    await dialog.getByRole("button", { name: "Delete backup" }).click();
    await dialog.getByText("newest good", { exact: false }).first().waitFor();
    const anyway = dialog.getByRole("checkbox", { name: /Delete it anyway/ });
    expect(await dialog.getByRole("button", { name: "Delete backup" }).isDisabled()).toBe(true);
    expect(await captureBothSchemes(page, "run-delete-dialog")).toEqual([]);
    await anyway.check();
    await dialog.getByRole("button", { name: "Delete backup" }).click();
    await dialog.waitFor({ state: "hidden" });
    const deliveries = (await client.get(`/runs/${backupId}/deliveries`)).body.items;
    expect(deliveries.every((d: { deletedAt: string | null }) => d.deletedAt !== null)).toBe(true);
    await page.getByRole("region", { name: "Deliveries" }).getByText("deleted", { exact: true }).first().waitFor();
    expect((await problems()).filter((p) => !p.includes("409"))).toEqual([]);
    await page.close();
  });
});
