import type { BrowserContextOptions, Page, Response } from "playwright-core";
import { type ControlPlane, createAdmin, startControlPlane } from "../../support/processes.js";
import { type Browser, launchChromium } from "./chromium.js";
import { watchPage } from "./page-watch.js";

export interface ConsoleRig {
  cp: ControlPlane;
  browser: Browser;
  adminToken: string;
  /**
   * A new tab on the console. With `token`, the test harness adds `Authorization: Bearer` to the
   * console's API requests (in the browser, outside the page): the console signs nobody in by
   * itself yet, and nothing in its code knows about the token.
   */
  open(path: string, options?: { token?: string }): Promise<{ page: Page; response: Response | null; problems(): Promise<string[]> }>;
  stop(): Promise<void>;
}

/** A real control plane (built CLI) with an admin and its API token, and a Chromium showing its console. */
export async function startConsoleRig(browserOptions: BrowserContextOptions = {}): Promise<ConsoleRig> {
  const cp = await startControlPlane();
  const adminToken = await createAdmin(cp);
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
