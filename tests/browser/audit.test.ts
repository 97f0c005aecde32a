import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, type Api, api, tempDir } from "../support/processes.js";
import { captureBothSchemes } from "./support/capture.js";
import { type ConsoleRig, signIn, startConsoleRig } from "./support/console-rig.js";

const ADMIN_EMAIL = "admin@example.test";
const VIEWER_PASSWORD = "a viewer's long password";
const LONG_WALK = 150_000;

/** Screenshots and scans with the pointer away from any button (a hovered button is a lighter shade). */
async function capture(page: Page, name: string): Promise<string[]> {
  await page.mouse.move(0, 0);
  return captureBothSchemes(page, name);
}

// The audit log as an admin reads it: their own sign-in and a destination they changed, then only
// the sign-ins; and a viewer who is not shown the page.
describe("the audit log page", () => {
  let rig: ConsoleRig;
  let admin: Api;
  let page: Page;
  let problems: () => Promise<string[]>;
  let destinationId: string;

  beforeAll(async () => {
    rig = await startConsoleRig();
    admin = api(rig.cp, rig.adminToken);
    const created = await admin.post("/destinations", { name: "nightly disk", type: "local", config: { path: tempDir("audit-dest") } });
    destinationId = created.body.id;
    expect((await admin.patch(`/destinations/${destinationId}`, { name: "nightly NAS" })).status).toBe(200);
    expect((await admin.post("/users", { email: "viewer@example.test", role: "viewer", password: VIEWER_PASSWORD })).status).toBe(201);
    ({ page, problems } = await rig.open("/sign-in"));
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  afterAll(async () => rig?.stop());

  it("shows an admin's sign-in and a destination change with who, object, address and outcome", async () => {
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Audit log" }).click();
    await page.getByRole("heading", { name: "Audit log", level: 1 }).waitFor();
    const change = page.getByRole("row", { name: /PATCH \/destinations\/:id/ });
    await change.waitFor();
    const changeText = (await change.textContent()) ?? "";
    expect(changeText).toContain(ADMIN_EMAIL);
    expect(changeText).toContain(destinationId);
    expect(changeText).toContain("fields: name");
    expect(changeText).toContain("127.0.0.1");
    expect(changeText).toContain("ok 200");
    const signInRow = page.getByRole("row", { name: /session\.signIn\b/ }).first();
    expect(await signInRow.textContent()).toContain(ADMIN_EMAIL);
    expect(await capture(page, "audit")).toEqual([]);
    expect(await problems()).toEqual([]);
  }, LONG_WALK);

  it("narrows to one action by the filter, kept in the URL", async () => {
    await page.getByRole("combobox", { name: "Action" }).click();
    await page.getByRole("option", { name: "session.signIn", exact: true }).click();
    await page.waitForURL((url) => url.searchParams.get("action") === "session.signIn");
    await page.getByRole("row", { name: /PATCH \/destinations\/:id/ }).waitFor({ state: "detached" });
    const rows = page.getByRole("row").filter({ hasText: "session.signIn" });
    await rows.first().waitFor();
    const body = page.locator("tbody tr");
    expect(await body.count()).toBe(await rows.count());

    // Reloaded, the filter is still there.
    await page.reload();
    await page.getByRole("row", { name: /session\.signIn\b/ }).first().waitFor();
    expect(await page.getByRole("row", { name: /PATCH \/destinations\/:id/ }).count()).toBe(0);

    await page.getByLabel("Object").fill("dst_nothing_here");
    await page.getByLabel("Object").press("Enter");
    await page.getByRole("heading", { name: "No record matches these filters" }).waitFor();
    expect(await capture(page, "audit-empty")).toEqual([]);
    await page.getByRole("button", { name: "Clear filters" }).first().click();
    await page.getByRole("row", { name: /PATCH \/destinations\/:id/ }).waitFor();
    expect(await problems()).toEqual([]);
  }, LONG_WALK);

  it("is neither in a viewer's navigation nor shown to them", async () => {
    await page.context().clearCookies();
    await page.goto(`${rig.cp.url}/sign-in`);
    await signIn(page, "viewer@example.test", VIEWER_PASSWORD);
    const nav = page.getByRole("navigation", { name: "Pages" });
    await nav.getByRole("link", { name: "Runs" }).waitFor();
    expect(await nav.getByRole("link", { name: "Audit log" }).count()).toBe(0);
    await page.goto(`${rig.cp.url}/audit`);
    await page.getByRole("heading", { name: "Only admins see the audit log" }).waitFor();
    expect(await page.getByRole("search", { name: "Filter the audit log" }).count()).toBe(0);
    expect(await capture(page, "audit-viewer")).toEqual([]);
    expect(await problems()).toEqual([]);
  });
});
