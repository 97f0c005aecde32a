import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { captureBothSchemes } from "./support/capture.js";
import { type ConsoleRig, fillSignIn, signIn, startConsoleRig } from "./support/console-rig.js";

const ADMIN = { email: "first@example.test", password: "the first admin's long password" };

/** The browser logs each refused request (401 wrong password, 429 locked) as a console error; nothing else may be one. */
const unexpected = (problems: string[]) => problems.filter((p) => !/status of (401|429)/.test(p));

describe("sessions: the first admin's setup, signing in and out, an ended session", () => {
  let rig: ConsoleRig;
  beforeAll(async () => {
    // No admin: the control plane prints the setup link. Two failures lock an e-mail, to see the lock in a test's time.
    rig = await startConsoleRig({}, { admin: false, env: { HOLDFAST_SIGNIN_ACCOUNT_FAILURES: "2" } });
  });
  afterAll(async () => rig?.stop());

  it("shows the server's message for a setup link that is not the current one", async () => {
    const { page, problems } = await rig.open("/setup#token=hf_setup_not-the-current-one");
    await page.getByRole("heading", { name: "Create the first admin" }).waitFor();
    await page.getByLabel("E-mail").fill(ADMIN.email);
    await page.locator('input[autocomplete="new-password"]').nth(0).fill(ADMIN.password);
    await page.locator('input[autocomplete="new-password"]').nth(1).fill(ADMIN.password);
    await page.getByRole("button", { name: "Create the admin and sign in" }).click();
    const alert = page.getByRole("alert").filter({ hasText: "The admin was not created" });
    await alert.waitFor();
    expect(await alert.textContent()).toContain("latest `holdfast serve`");
    expect(page.url()).toBe(`${rig.cp.url}/setup`);
    expect(unexpected(await problems())).toEqual([]);
    await page.close();
  });

  it("creates the first admin with the setup link, takes the token out of the address bar, and lands signed in on the dashboard", async () => {
    const link = rig.cp.setupUrl();
    expect(link).toMatch(/\/setup#token=hf_setup_/);
    const { page, problems } = await rig.open(new URL(link!).pathname + new URL(link!).hash);
    await page.getByRole("heading", { name: "Create the first admin" }).waitFor();
    expect(page.url()).toBe(`${rig.cp.url}/setup`);
    expect(await captureBothSchemes(page, "setup")).toEqual([]);

    await page.getByLabel("E-mail").fill(ADMIN.email);
    await page.locator('input[autocomplete="new-password"]').nth(0).fill(ADMIN.password);
    await page.locator('input[autocomplete="new-password"]').nth(1).fill("not the same password");
    await page.getByRole("button", { name: "Create the admin and sign in" }).click();
    await page.getByText("must be the same password").waitFor();
    await page.locator('input[autocomplete="new-password"]').nth(1).fill(ADMIN.password);
    await page.getByRole("button", { name: "Create the admin and sign in" }).click();

    await page.waitForURL(`${rig.cp.url}/`);
    await page.getByRole("heading", { name: "Dashboard", level: 1 }).waitFor();
    await page.getByRole("button", { name: `Account: ${ADMIN.email} (admin)` }).waitFor();
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it("says setup is done when the link is opened again", async () => {
    const { page, problems } = await rig.open("/setup");
    await page.getByText("The first admin exists already").waitFor();
    expect(await captureBothSchemes(page, "setup-done")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it("signs out from the account menu; the pages then send to sign-in", async () => {
    const { page, problems } = await rig.open("/");
    await page.getByRole("button", { name: `Account: ${ADMIN.email} (admin)` }).click();
    expect(await captureBothSchemes(page, "account-menu")).toEqual([]);
    await page.getByRole("menuitem", { name: "Sign out" }).click();
    await page.waitForURL(`${rig.cp.url}/sign-in`);
    await page.goto(`${rig.cp.url}/agents`);
    await page.waitForURL(`${rig.cp.url}/sign-in?redirect=%2Fagents`);
    expect(unexpected(await problems())).toEqual([]);
    await page.close();
  });

  it("shows the server's message for a wrong password, then signs in and returns to the page it was sent from", async () => {
    const { page, problems } = await rig.open("/sign-in?redirect=%2Fagents");
    await fillSignIn(page, ADMIN.email, "not the password at all");
    const alert = page.getByRole("alert").filter({ hasText: "Not signed in" });
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/e-mail or password/i);
    expect(await captureBothSchemes(page, "sign-in-wrong-password")).toEqual([]);
    await signIn(page, ADMIN.email, ADMIN.password);
    expect(page.url()).toBe(`${rig.cp.url}/agents`);
    await page.getByRole("heading", { name: "Agents", level: 1 }).waitFor();
    expect(unexpected(await problems())).toEqual([]);
    await page.close();
  });

  it("shows the lock's message, with how long to wait, for an e-mail locked by failed sign-ins", async () => {
    const { page, problems } = await rig.open("/sign-in");
    await page.context().clearCookies();
    for (let i = 0; i < 2; i++) {
      await fillSignIn(page, "someone@example.test", `wrong password ${i}`);
      await page.getByRole("alert").filter({ hasText: /e-mail or password/i }).waitFor();
    }
    await fillSignIn(page, "someone@example.test", "wrong password 3");
    const locked = page.getByRole("alert").filter({ hasText: "Too many failed sign-ins" });
    await locked.waitFor();
    expect(await locked.textContent()).toMatch(/try again in \d+ s/);
    expect(unexpected(await problems())).toEqual([]);
    await page.close();
  });

  it("sends a page whose session ended (its cookie gone) to sign in, and back to that page after", async () => {
    const { page, problems } = await rig.open("/sign-in");
    await signIn(page, ADMIN.email, ADMIN.password);
    await page.getByRole("heading", { name: "Dashboard", level: 1 }).waitFor();
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Agents" }).click();
    await page.getByRole("heading", { name: "Agents", level: 1 }).waitFor();
    await page.context().clearCookies();
    // The console notices by itself at its next request (the live stream's check, a refetch) or at
    // the reload: either way it leaves for sign-in remembering this page.
    await page.reload();
    await page.waitForURL(`${rig.cp.url}/sign-in?redirect=%2Fagents`);
    await signIn(page, ADMIN.email, ADMIN.password);
    expect(page.url()).toBe(`${rig.cp.url}/agents`);
    await page.getByRole("heading", { name: "Agents", level: 1 }).waitFor();
    expect(unexpected(await problems())).toEqual([]);
    await page.close();
  });
});
