import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, AGENT_BIN, api, ManagedProcess, tempDir } from "../support/processes.js";
import { runShownEnrollCommand } from "./support/enroll-command.js";
import { captureBothSchemes } from "./support/capture.js";
import { type ConsoleRig, signIn, startConsoleRig } from "./support/console-rig.js";

/** Screenshots and scans with the pointer away from any button (a hovered button is a lighter shade). */
async function capture(page: Page, name: string): Promise<string[]> {
  await page.mouse.move(0, 0);
  return captureBothSchemes(page, name);
}

/** Enrolling and starting a real agent, and two scans of the dialog: the machine the suite shares may be busy. */
const LONG_WALK = 150_000;

describe("agents: add one with the commands the page shows, its page, revoke", () => {
  let rig: ConsoleRig;
  let page: Page;
  let problems: () => Promise<string[]>;
  let agent: ManagedProcess | undefined;
  let agentId = "";
  let agentName = "";

  beforeAll(async () => {
    rig = await startConsoleRig();
    ({ page, problems } = await rig.open("/sign-in"));
    await signIn(page, "admin@example.test", ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await agent?.stop();
    await rig?.stop();
  });

  it("adds an agent: the dialog shows the enroll command once and sees the agent come online without a reload", async () => {
    await page.goto(`${rig.cp.url}/agents`);
    await page.getByRole("heading", { name: "No agents yet" }).waitFor();
    await page.getByRole("button", { name: "Add agent" }).click();
    const dialog = page.getByRole("dialog", { name: "Add agent" });
    await dialog.getByLabel("Name").fill("db-host-1");
    await dialog.getByRole("button", { name: "Make the commands" }).click();
    await dialog.getByText("Waiting for the new agent to come online").waitFor();
    const command = (await dialog.locator("pre").filter({ hasText: "holdfast-agent enroll" }).textContent()) ?? "";
    expect(command).toContain(`holdfast-agent enroll --server ${rig.cp.url}`);
    expect(await capture(page, "agents-add-waiting")).toEqual([]);

    const dataDir = tempDir("added");
    agentId = await runShownEnrollCommand(command, dataDir);
    agent = ManagedProcess.start(AGENT_BIN, ["run", "--data-dir", dataDir]);
    const online = dialog.getByRole("status").filter({ hasText: "is online" });
    await online.waitFor({ timeout: 30_000 });
    agentName = (await api(rig.cp, rig.adminToken).get("/agents")).body.items.find((a: { id: string }) => a.id === agentId).name;
    expect(await online.textContent()).toContain(`${agentName} is online`);
    expect(await capture(page, "agents-add-online")).toEqual([]);
    await dialog.getByRole("link", { name: "Open its page" }).click();
    await page.waitForURL(`${rig.cp.url}/agents/${agentId}`);
    expect(await problems()).toEqual([]);
  }, LONG_WALK);

  it("shows the agent's status, version, capabilities with tool versions, health and queue", async () => {
    await page.getByRole("heading", { name: agentName, level: 1 }).waitFor();
    await page.getByRole("region", { name: "Capabilities" }).getByRole("columnheader", { name: "Engine" }).waitFor();
    expect(await page.getByRole("region", { name: "Capabilities" }).textContent()).toMatch(/postgres/);
    await page.getByRole("region", { name: "Health" }).getByText("ok", { exact: true }).waitFor();
    await page.getByRole("region", { name: "Queue" }).getByText("Nothing running or waiting").waitFor();
    expect(await page.getByText("online", { exact: true }).count()).toBeGreaterThan(0);
    expect(await capture(page, "agent-detail")).toEqual([]);
    expect(await problems()).toEqual([]);
  });

  it("sets the agent's upload cap: 0 is refused on the field, 0.5 is saved and shown, empty removes it", async () => {
    const fact = page.getByText("Upload cap", { exact: true }).locator("..");
    expect(await fact.textContent()).toContain("none");
    await page.getByRole("button", { name: `Edit the upload cap of ${agentName}` }).click();
    const dialog = page.getByRole("dialog", { name: `Upload cap of ${agentName}` });
    const field = dialog.getByLabel("Upload cap (MiB/s)");
    await field.fill("0");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.getByText("must be at least 0.1 MiB/s").waitFor();
    expect((await api(rig.cp, rig.adminToken).get(`/agents/${agentId}`)).body.transferCapMiBps).toBeNull();
    await field.fill("0.5");
    expect(await capture(page, "agent-upload-cap")).toEqual([]);
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });
    await fact.getByText("0.5 MiB/s").waitFor();
    expect((await api(rig.cp, rig.adminToken).get(`/agents/${agentId}`)).body.transferCapMiBps).toBe(0.5);

    await page.getByRole("button", { name: `Edit the upload cap of ${agentName}` }).click();
    await field.fill("");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.waitFor({ state: "hidden" });
    await fact.getByText("none").waitFor();
    expect((await api(rig.cp, rig.adminToken).get(`/agents/${agentId}`)).body.transferCapMiBps).toBeNull();
    expect(await problems()).toEqual([]);
  });

  it("sets the agent's blackout windows and their zone: a window without days is refused on its row, a good one is saved", async () => {
    const panel = page.getByRole("heading", { name: "Blackout windows" }).locator("..");
    await panel.getByText("No blackout windows: backups may start at any time.").waitFor();
    await panel.getByRole("button", { name: "Add a blackout window" }).click();
    const row = panel.getByRole("group", { name: "Blackout window 1" });
    for (const d of ["Mon", "Tue", "Wed", "Thu", "Fri"]) await row.getByRole("checkbox", { name: d, exact: true }).click();
    await row.getByText("name at least one day the window starts on").waitFor();
    expect(await panel.getByRole("button", { name: "Save blackout windows" }).isDisabled()).toBe(true);
    await row.getByRole("checkbox", { name: "Sat", exact: true }).click();
    await row.getByLabel("From").fill("22:00");
    await row.getByLabel("To").fill("02:00");
    await panel.getByRole("combobox", { name: "Time zone" }).fill("Europe/Berl");
    await page.getByRole("option", { name: "Europe/Berlin" }).click();
    await row.getByText("Ends at 02:00 the next day (Europe/Berlin)").waitFor();
    expect(await capture(page, "agent-blackout")).toEqual([]);
    await panel.getByRole("button", { name: "Save blackout windows" }).click();
    await panel.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    expect((await api(rig.cp, rig.adminToken).get(`/agents/${agentId}`)).body).toMatchObject({ timezone: "Europe/Berlin", blackout: [{ days: ["sat"], from: "22:00", to: "02:00" }] });
    expect(await problems()).toEqual([]);
  });

  it("revokes the agent from its page after a confirmation", async () => {
    await page.getByRole("button", { name: `Revoke ${agentName}` }).click();
    const confirm = page.getByRole("dialog", { name: `Revoke agent ${agentName}?` });
    await confirm.getByRole("button", { name: "Revoke" }).click();
    await confirm.waitFor({ state: "hidden" });
    await page.getByText("revoked", { exact: true }).waitFor();
    const listed = (await api(rig.cp, rig.adminToken).get("/agents")).body.items.find((a: { id: string }) => a.id === agentId);
    expect(listed.status).toBe("revoked");
    expect(await problems()).toEqual([]);
  });

  it("says so for an agent id that does not exist", async () => {
    await page.goto(`${rig.cp.url}/agents/agt_00000000000000000000000000000000`);
    await page.getByRole("heading", { name: "No agent agt_00000000000000000000000000000000" }).waitFor();
    expect(await capture(page, "agent-unknown")).toEqual([]);
    expect(await problems()).toEqual([]);
  });
});
