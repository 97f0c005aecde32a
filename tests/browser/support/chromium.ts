import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type BrowserContext, type BrowserContextOptions, chromium } from "playwright-core";

/** Debian's chromium package; HOLDFAST_CHROMIUM points elsewhere. */
export const CHROMIUM = process.env.HOLDFAST_CHROMIUM ?? "/usr/bin/chromium";

/** Quiet, headless, no phoning home: the browser reaches only the control plane under test. */
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export function chromiumMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined;
  return `The browser suites need Chromium at ${CHROMIUM}: apt-get install chromium (or run bash .ci/run), or set HOLDFAST_CHROMIUM to its path.`;
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile (its own --user-data-dir), removed on close. */
export async function launchChromium(options: BrowserContextOptions = {}): Promise<Browser> {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  const profile = mkdtempSync(path.join(tmpdir(), "holdfast-chromium-"));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, ...options });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
