/**
 * Rewrites the settings table of docs/deployment.md from env.ts (src/config/settings-doc.ts).
 *
 *   npm run docs:settings --workspace control-plane
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { withSettingsTable } from "../src/config/settings-doc.js";

const page = fileURLToPath(new URL("../../docs/deployment.md", import.meta.url));
writeFileSync(page, withSettingsTable(readFileSync(page, "utf8")));
