import { existsSync } from "node:fs";
import path from "node:path";
import { ROOT } from "../support/processes.js";
import { chromiumMissing } from "./support/chromium.js";

/** The browser suites need Chromium and a built console; without either they fail at once saying what to do. */
export default function setup(): void {
  const missing = chromiumMissing();
  if (missing) throw new Error(missing);
  for (const built of ["web/dist/index.html", "control-plane/dist/index.js"]) {
    if (!existsSync(path.join(ROOT, built))) throw new Error(`The browser suites need the built console and control plane (${built} is missing): run npm run build first.`);
  }
}
