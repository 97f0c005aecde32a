import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeOidcCertificates, startOidcProvider, type TestOidcProvider } from "../support/oidc-provider.js";
import { type ControlPlane, createAdmin, startControlPlane } from "../support/processes.js";
import { captureBothSchemes } from "./support/capture.js";
import { type Browser, launchChromium } from "./support/chromium.js";
import { watchPage } from "./support/page-watch.js";

// Single sign-on as a person meets it: an admin fills in the settings page, then someone clicks
// "Sign in with …" on the sign-in page, signs in at a real OpenID provider (oidc-provider over TLS
// with a CA made here, trusted by the control plane through NODE_EXTRA_CA_CERTS) and lands in the
// console with the role the rules give.

describe("single sign-on in the console", () => {
  let cp: ControlPlane;
  let provider: TestOidcProvider;
  let browser: Browser;
  let adminToken: string;

  beforeAll(async () => {
    const certs = makeOidcCertificates();
    cp = await startControlPlane({ env: { NODE_EXTRA_CA_CERTS: certs.caFile } });
    adminToken = await createAdmin(cp);
    provider = await startOidcProvider(certs, [`${cp.url}/api/v1/sso/callback`], {
      carol: { email: "carol@example.test", groups: ["dba"] },
      mallory: { email: "mallory@example.test", groups: ["contractors"] },
    });
    // The browser is the person's: it trusts the provider's certificate as their machine would a company CA.
    browser = await launchChromium({ timezoneId: "Europe/Lisbon", viewport: { width: 1280, height: 800 }, ignoreHTTPSErrors: true });
  });
  afterAll(async () => {
    await browser?.close();
    await cp?.process.stop();
    await provider?.close();
  });

  async function open(path: string, token?: string): Promise<{ page: Page; problems(): Promise<string[]> }> {
    const page = await browser.context.newPage();
    const watch = await watchPage(page);
    if (token) await page.route(`${cp.url}/api/v1/**`, (route) => route.continue({ headers: { ...route.request().headers(), authorization: `Bearer ${token}` } }));
    await page.goto(`${cp.url}${path}`);
    return { page, problems: watch.problems };
  }

  it("an admin sets up the provider on the Single sign-on page", async () => {
    const { page, problems } = await open("/sso", adminToken);
    await page.getByRole("heading", { name: "Single sign-on", level: 1 }).waitFor();
    expect(await page.getByText(`${cp.url}/api/v1/sso/callback`).isVisible()).toBe(true);
    await page.getByLabel("Offer single sign-on on the sign-in page").check({ force: true });
    await page.getByRole("textbox", { name: "Provider name" }).fill("Example ID");
    await page.getByRole("textbox", { name: "Issuer URL" }).fill("http://not-tls.example");
    await page.getByRole("textbox", { name: "Client id" }).click();
    expect(await page.getByText("must be an https:// URL").isVisible()).toBe(true);
    await page.getByRole("textbox", { name: "Issuer URL" }).fill(provider.issuer);
    await page.getByRole("textbox", { name: "Client id" }).fill(provider.clientId);
    await page.getByLabel("Client secret").fill(provider.clientSecret);
    await page.getByRole("textbox", { name: "contains" }).fill("dba");
    await page.getByRole("textbox", { name: "Role" }).click();
    await page.getByRole("option", { name: "operator" }).click();
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByText("Saved.").waitFor();
    expect(await page.getByLabel("Client secret").inputValue()).toBe("");
    expect(await page.getByText("A secret is stored").isVisible()).toBe(true);
    expect(await captureBothSchemes(page, "sso-settings")).toEqual([]);
    await page.setViewportSize({ width: 390, height: 800 });
    expect(await captureBothSchemes(page, "sso-settings-narrow")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it('"Sign in with Example ID" takes a new person through the provider\'s login form into the console, as an operator', async () => {
    const { page, problems } = await open("/sign-in?redirect=%2Fruns");
    const button = page.getByRole("link", { name: "Sign in with Example ID" });
    await button.waitFor();
    expect(await captureBothSchemes(page, "sign-in-sso")).toEqual([]);
    await button.click();
    // The provider's own login form.
    await page.waitForURL((url) => url.origin === provider.issuer);
    await page.locator('input[name="login"]').fill("carol");
    await page.locator('input[name="password"]').fill("any password");
    await page.getByRole("button", { name: "Sign-in" }).click();
    await page.waitForURL(`${cp.url}/runs`);
    await page.getByRole("heading", { level: 1 }).waitFor();
    const session = await page.evaluate(async () => (await fetch("/api/v1/session")).json());
    expect(session).toMatchObject({ signedIn: true, via: "session", user: { email: "carol@example.test", role: "operator" } });
    // An operator: the admin's pages are not offered.
    await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Runs" }).waitFor();
    expect(await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name: "Single sign-on" }).count()).toBe(0);
    expect(await problems()).toEqual([]);
    await page.close();
  });

  it("someone no rule maps is sent back to the sign-in page with what to do", async () => {
    // Nobody signed in, here or at the provider.
    await browser.context.clearCookies();
    const { page } = await open("/sign-in");
    await page.getByRole("link", { name: "Sign in with Example ID" }).click();
    await page.waitForURL((url) => url.origin === provider.issuer);
    await page.locator('input[name="login"]').fill("mallory");
    await page.locator('input[name="password"]').fill("any password");
    await page.getByRole("button", { name: "Sign-in" }).click();
    await page.waitForURL(`${cp.url}/sign-in?ssoError=SSO_NO_ROLE_MATCH`);
    await page.getByRole("alert").filter({ hasText: "matched none of the claim-to-role rules" }).waitFor();
    expect(await captureBothSchemes(page, "sign-in-sso-refused")).toEqual([]);
    await page.close();
  });
});
