import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_PASSWORD, type Api, api } from "../support/processes.js";
import { captureBothSchemes } from "./support/capture.js";
import { type ConsoleRig, signIn, startConsoleRig } from "./support/console-rig.js";

const ADMIN_EMAIL = "admin@example.test";
/** The longer walks (a dialog, a table, two scans of each): the machine the suite shares may be busy. */
const LONG_WALK = 150_000;

/** Chooses an option of a Mantine select (a combobox: open it, pick the option). */
async function choose(page: Page, select: ReturnType<Page["getByLabel"]>, option: string): Promise<void> {
  await select.click();
  await page.getByRole("option", { name: option, exact: true }).click();
}

/** Screenshots and scans with the pointer away from any button (a hovered button is a lighter shade). */
async function capture(page: Page, name: string): Promise<string[]> {
  await page.mouse.move(0, 0);
  return captureBothSchemes(page, name);
}

/** Whether a password signs in (the API, outside the browser). */
async function signsIn(url: string, email: string, password: string): Promise<boolean> {
  const res = await fetch(`${url}/api/v1/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }) });
  return res.status === 201;
}

describe("people: users, API tokens, enrollment tokens", () => {
  let rig: ConsoleRig;
  let admin: Api;
  let page: Page;
  let problems: () => Promise<string[]>;
  let viewerPassword = "";

  beforeAll(async () => {
    rig = await startConsoleRig();
    admin = api(rig.cp, rig.adminToken);
    await rig.browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: rig.cp.url });
    ({ page, problems } = await rig.open("/sign-in"));
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
  });
  afterAll(async () => rig?.stop());

  it("creates an operator with a typed password, changes the role, disables and enables the account", async () => {
    await page.goto(`${rig.cp.url}/users`);
    await page.getByRole("row", { name: new RegExp(ADMIN_EMAIL) }).waitFor();
    await page.getByRole("button", { name: "New user" }).click();
    const dialog = page.getByRole("dialog", { name: "New user" });
    await dialog.getByLabel("E-mail").fill("ops@example.test");
    await choose(page, dialog.getByLabel("Role"), "operator");
    await dialog.getByLabel("Initial password").fill("short");
    await dialog.getByRole("button", { name: "Create user" }).click();
    await dialog.getByText("must be at least 12 characters").waitFor();
    await dialog.getByLabel("Initial password").fill("an operator's long password");
    expect(await capture(page, "users-create")).toEqual([]);
    await dialog.getByRole("button", { name: "Create user" }).click();
    await dialog.waitFor({ state: "hidden" });
    const row = page.getByRole("row", { name: /ops@example\.test/ });
    await row.waitFor();
    expect(await signsIn(rig.cp.url, "ops@example.test", "an operator's long password")).toBe(true);

    await choose(page, row.getByLabel("Role of ops@example.test"), "viewer");
    await expect.poll(async () => (await admin.get("/users")).body.items.find((u: { email: string }) => u.email === "ops@example.test")?.role).toBe("viewer");

    await row.getByRole("button", { name: "Disable ops@example.test" }).click();
    await row.getByText("disabled", { exact: true }).waitFor();
    expect(await signsIn(rig.cp.url, "ops@example.test", "an operator's long password")).toBe(false);
    expect(await capture(page, "users")).toEqual([]);
    await row.getByRole("button", { name: "Enable ops@example.test" }).click();
    await row.getByText("active", { exact: true }).waitFor();
    expect(await signsIn(rig.cp.url, "ops@example.test", "an operator's long password")).toBe(true);
    expect(await problems()).toEqual([]);
  }, LONG_WALK);

  it("creates a viewer with a generated password shown once, and resets a password", async () => {
    await page.getByRole("button", { name: "New user" }).click();
    const dialog = page.getByRole("dialog", { name: "New user" });
    await dialog.getByLabel("E-mail").fill("viewer@example.test");
    await dialog.getByRole("button", { name: "Create user" }).click();
    await dialog.getByText("Copy the password now").waitFor();
    viewerPassword = (await dialog.locator("pre").textContent()) ?? "";
    expect(viewerPassword.length).toBeGreaterThanOrEqual(12);
    expect(await signsIn(rig.cp.url, "viewer@example.test", viewerPassword)).toBe(true);
    await dialog.getByRole("button", { name: "Done" }).click();

    await page.getByRole("button", { name: "Reset password of ops@example.test" }).click();
    const reset = page.getByRole("dialog", { name: "New password for ops@example.test" });
    await reset.getByLabel("New password").fill("a brand new long password");
    await reset.getByRole("button", { name: "Set password" }).click();
    await reset.waitFor({ state: "hidden" });
    expect(await signsIn(rig.cp.url, "ops@example.test", "a brand new long password")).toBe(true);
    expect(await signsIn(rig.cp.url, "ops@example.test", "an operator's long password")).toBe(false);
    expect(await problems()).toEqual([]);
  }, LONG_WALK);

  it("creates an API token shown once with a copy button, which works until revoked after a confirmation", async () => {
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "API tokens" }).click();
    await page.getByRole("heading", { name: "API tokens", level: 1 }).waitFor();
    await page.getByRole("button", { name: "New token" }).click();
    const dialog = page.getByRole("dialog", { name: "New API token" });
    await dialog.getByLabel("Name").fill("ci");
    await choose(page, dialog.getByLabel("Role"), "operator");
    await dialog.getByRole("button", { name: "Create token" }).click();
    const shown = page.getByRole("dialog", { name: "API token ci" });
    await shown.getByText("Copy the token now").waitFor();
    const token = (await shown.locator("pre").textContent()) ?? "";
    expect(token).toMatch(/^hf_api_/);
    await shown.getByRole("button", { name: "Copy token" }).click();
    await shown.getByRole("button", { name: "Token: copied" }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    expect(await capture(page, "api-token-created")).toEqual([]);
    await shown.getByRole("button", { name: "Done" }).click();
    expect((await api(rig.cp, token).get("/agents")).status).toBe(200);

    const row = page.getByRole("row", { name: /\bci\b/ });
    expect(await row.textContent()).toContain("operator");
    await page.getByText("Every user's").click();
    await page.getByRole("columnheader", { name: "User" }).waitFor();
    expect(await capture(page, "api-tokens")).toEqual([]);

    await page.getByRole("button", { name: "Revoke ci" }).click();
    const confirm = page.getByRole("dialog", { name: "Revoke API token ci?" });
    await confirm.getByRole("button", { name: "Revoke" }).click();
    await confirm.waitFor({ state: "hidden" });
    await page.getByRole("row", { name: /\bci\b/ }).waitFor({ state: "detached" });
    expect((await api(rig.cp, token).get("/agents")).status).toBe(401);
    expect(await problems()).toEqual([]);
  }, LONG_WALK);

  it("creates an enrollment token with a TTL, shows its enroll command once, lists it, and revokes it", async () => {
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Enrollment tokens" }).click();
    await page.getByRole("heading", { name: "No pending enrollment tokens" }).waitFor();
    await page.getByRole("button", { name: "New enrollment token" }).click();
    const dialog = page.getByRole("dialog", { name: "New enrollment token" });
    await dialog.getByLabel("Name").fill("db-7 in Frankfurt");
    await choose(page, dialog.getByLabel("Valid for"), "1 hour");
    await dialog.getByRole("button", { name: "Create token" }).click();
    const shown = page.getByRole("dialog", { name: "Enroll a host with this token" });
    const command = (await shown.locator("pre").filter({ hasText: "holdfast-agent enroll" }).textContent()) ?? "";
    expect(command).toMatch(new RegExp(`^HOLDFAST_ENROLL_TOKEN=hf_enr_\\S+ holdfast-agent enroll --server ${rig.cp.url.replaceAll(".", "\\.")} `));
    expect(await capture(page, "enrollment-token-created")).toEqual([]);
    await shown.getByRole("button", { name: "Done" }).click();

    const row = page.getByRole("row", { name: /db-7 in Frankfurt/ });
    await row.waitFor();
    expect(await row.textContent()).toContain(ADMIN_EMAIL);
    const [pending] = (await admin.get("/enrollment-tokens")).body.items;
    expect(new Date(pending.expiresAt).getTime() - new Date(pending.createdAt).getTime()).toBe(3_600_000);
    expect(await capture(page, "enrollment-tokens")).toEqual([]);
    await page.getByRole("button", { name: "Revoke db-7 in Frankfurt" }).click();
    await page.getByRole("dialog", { name: "Revoke enrollment token db-7 in Frankfurt?" }).getByRole("button", { name: "Revoke" }).click();
    await page.getByRole("heading", { name: "No pending enrollment tokens" }).waitFor();
    expect((await admin.get("/enrollment-tokens")).body.items).toEqual([]);
    expect(await problems()).toEqual([]);
  });

  it("shows a viewer neither the admin pages nor their actions", async () => {
    await page.context().clearCookies();
    await page.goto(`${rig.cp.url}/sign-in`);
    await signIn(page, "viewer@example.test", viewerPassword);
    const nav = page.getByRole("navigation", { name: "Pages" });
    await nav.getByRole("link", { name: "API tokens" }).waitFor();
    expect(await nav.getByRole("link", { name: "Users" }).count()).toBe(0);
    expect(await nav.getByRole("link", { name: "Enrollment tokens" }).count()).toBe(0);

    await page.goto(`${rig.cp.url}/users`);
    await page.getByRole("heading", { name: "Only admins see users" }).waitFor();
    expect(await page.getByRole("button", { name: "New user" }).count()).toBe(0);
    expect(await capture(page, "users-viewer")).toEqual([]);
    await page.goto(`${rig.cp.url}/enrollment-tokens`);
    await page.getByRole("heading", { name: "Only admins see enrollment tokens" }).waitFor();
    expect(await page.getByRole("button", { name: "New enrollment token" }).count()).toBe(0);

    await page.goto(`${rig.cp.url}/agents`);
    await page.getByRole("heading", { name: "Agents", level: 1 }).waitFor();
    await page.getByRole("heading", { name: "No agents yet" }).waitFor();
    expect(await page.getByRole("button", { name: "Add agent" }).count()).toBe(0);

    // Their own API tokens they manage, with at most their own role, and only theirs.
    await page.goto(`${rig.cp.url}/api-tokens`);
    await page.getByRole("heading", { name: "You have no API tokens" }).waitFor();
    expect(await page.getByRole("radio", { name: "Every user's" }).count()).toBe(0);
    await page.getByRole("button", { name: "New token" }).click();
    await page.getByRole("dialog", { name: "New API token" }).getByLabel("Role").click();
    expect(await page.getByRole("option").allTextContents()).toEqual(["viewer"]);
    expect(await problems()).toEqual([]);
  });
});
