/// <reference lib="dom" />
import { readFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Page } from "playwright-core";
import { ROOT } from "../../support/processes.js";

/** Screenshots of every page, light and dark: a test artifact a person looks at (gitignored). */
export const SCREENSHOTS = path.join(ROOT, "tests/artifacts/screenshots");

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * Runs axe-core on the page as it is and returns its serious and critical violations, one line each.
 * axe is evaluated through the debugging protocol, which the page's CSP does not govern: a script tag
 * would be (rightly) refused.
 */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run(ctx: Document, options: object): Promise<{ violations: AxeViolation[] }> } }).axe.run(document, { resultTypes: ["violations"] });
    return result.violations;
  });
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => JSON.stringify(n.target)).join(", ")})`);
}

/**
 * The page in light and in dark (the OS setting, emulated; the console follows it): a full-page
 * screenshot of each in SCREENSHOTS as `<name>-light.png` and `<name>-dark.png`, and axe's serious or
 * critical violations of each, prefixed with the scheme. The page is left in light.
 */
export async function captureBothSchemes(page: Page, name: string): Promise<string[]> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const problems: string[] = [];
  for (const colorScheme of ["dark", "light"] as const) {
    await page.emulateMedia({ colorScheme });
    await page.waitForFunction((scheme) => document.documentElement.dataset.mantineColorScheme === scheme, colorScheme, { timeout: 10_000 });
    await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${colorScheme}.png`), fullPage: true, animations: "disabled" });
    problems.push(...(await seriousA11yViolations(page)).map((v) => `${colorScheme}: ${v}`));
  }
  return problems;
}
