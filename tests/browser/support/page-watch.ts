/// <reference lib="dom" />
import type { Page } from "playwright-core";

declare global {
  interface Window {
    __cspViolations?: string[];
  }
}

/**
 * Records what must never happen on a console page: a Content-Security-Policy violation (caught from
 * the page's own `securitypolicyviolation` events, recorded by a script the browser injects outside
 * the page's policy), an uncaught exception, or an error on the browser console.
 */
export async function watchPage(page: Page): Promise<{ problems(): Promise<string[]> }> {
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(`uncaught: ${err.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error") errors.push(`console error: ${msg.text()}`);
  });
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (e) => {
      window.__cspViolations?.push(`CSP ${e.effectiveDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  return {
    async problems() {
      const csp = await page.evaluate(() => window.__cspViolations ?? []).catch(() => []);
      return [...errors, ...csp];
    },
  };
}
