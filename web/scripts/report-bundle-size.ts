// After `vite build`: prints the initial load's gzipped size (JS + CSS a first visit downloads) and
// each lazy page's extra, fails above the budget, and writes a .gz and a .br beside every asset so
// the control plane sends them compressed (serveStatic's `precompressed`).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { readdirSync } from "node:fs";
import { type Manifest, splitInitialAndLazy } from "./bundle-size.ts";

const BUDGET_BYTES = 300 * 1024;
const dist = path.resolve(import.meta.dirname, "../dist");
const manifest = JSON.parse(readFileSync(path.join(dist, ".vite/manifest.json"), "utf8")) as Manifest;

const gzipped = new Map<string, number>();
for (const file of readdirSync(path.join(dist, "assets"))) {
  if (!/\.(js|css|svg)$/.test(file)) continue;
  const full = path.join(dist, "assets", file);
  const bytes = readFileSync(full);
  const gz = gzipSync(bytes, { level: 9 });
  writeFileSync(`${full}.gz`, gz);
  writeFileSync(`${full}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }));
  gzipped.set(`assets/${file}`, gz.length);
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const size = (files: string[]) => files.reduce((n, f) => n + (gzipped.get(f) ?? 0), 0);
const { initial, lazy } = splitInitialAndLazy(manifest);
const total = size(initial);

console.log(`console initial load: ${kb(total)} gzipped (JS + CSS, budget ${kb(BUDGET_BYTES)})`);
for (const f of initial) console.log(`  ${f.padEnd(48)} ${kb(gzipped.get(f) ?? 0)}`);
console.log("lazy pages (loaded when first visited, beyond the initial load):");
for (const [page, files] of lazy) console.log(`  ${page.padEnd(48)} ${kb(size(files))}`);
if (total > BUDGET_BYTES) {
  console.error(`The console's initial load is ${kb(total)} gzipped, over the ${kb(BUDGET_BYTES)} budget: load the heavy part lazily.`);
  process.exit(1);
}
