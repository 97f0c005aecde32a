import type { BrowserContextOptions, Page, Response } from "playwright-core";
import { type ControlPlane, createAdmin, startControlPlane } from "../../support/processes.js";
import { type Browser, launchChromium } from "./chromium.js";
import { watchPage } from "./page-watch.js";

export interface ConsoleRig {
  cp: ControlPlane;
  browser: Browser;
  /** The API token of `admin@example.test` (password ADMIN_PASSWORD); empty when the rig was started without an admin. */
  adminToken: string;
  /**
   * A new tab on the console. With `token`, the test harness adds `Authorization: Bearer` to the
   * console's API requests (in the browser, outside the page), and nothing in the console's code
   * knows about it. Without, the tab has the browser's cookies: sign in with `signIn`.
   */
  open(path: string, options?: { token?: string }): Promise<{ page: Page; response: Response | null; problems(): Promise<string[]> }>;
  stop(): Promise<void>;
}

export interface ConsoleRigOptions {
  /** Create `admin@example.test` and its API token with the CLI (the default); false leaves the first admin to the setup link. */
  admin?: boolean;
  /** Variables for the control plane (HOLDFAST_…). */
  env?: Record<string, string>;
}

/** A real control plane (built CLI), with an admin and its API token unless told otherwise, and a Chromium showing its console. */
export async function startConsoleRig(browserOptions: BrowserContextOptions = {}, options: ConsoleRigOptions = {}): Promise<ConsoleRig> {
  const cp = await startControlPlane(options.env ? { env: options.env } : {});
  const adminToken = options.admin === false ? "" : await createAdmin(cp);
  const browser = await launchChromium({ timezoneId: "Europe/Lisbon", viewport: { width: 1280, height: 800 }, ...browserOptions });
  return {
    cp,
    browser,
    adminToken,
    async open(path, options = {}) {
      const page = await browser.context.newPage();
      const watch = await watchPage(page);
      if (options.token) {
        const authorization = `Bearer ${options.token}`;
        await page.route(`${cp.url}/api/v1/**`, (route) => route.continue({ headers: { ...route.request().headers(), authorization } }));
      }
      const response = await page.goto(`${cp.url}${path}`);
      return { page, response, problems: watch.problems };
    },
    async stop() {
      await browser.close();
      await cp.process.stop();
    },
  };
}

/**
 * Signs in through the console's form, as a person does: on the sign-in page if the tab is there
 * (a page sent it there, remembering itself), else on a fresh one. Resolves once the console left
 * the sign-in page; a refusal shows on the form, and this then times out.
 */
export async function signIn(page: Page, email: string, password: string): Promise<void> {
  const here = new URL(page.url());
  if (here.pathname !== "/sign-in") await page.goto(new URL("/sign-in", here.origin).href);
  await fillSignIn(page, email, password);
  await page.waitForURL((url) => url.pathname !== "/sign-in");
}

/** Types e-mail and password into the sign-in form and sends it, whatever the answer. */
export async function fillSignIn(page: Page, email: string, password: string): Promise<void> {
  await page.locator('input[autocomplete="username"]').fill(email);
  await page.locator('input[autocomplete="current-password"]').fill(password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}
