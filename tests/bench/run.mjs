#!/usr/bin/env node
// `npm run bench [-- NAME] [flags]`: runs one benchmark (pipeline, memory, delivery, transfer), or all
// in turn. Flags go to each: --pairs N, --mb N, --quick (a small smoke run, tables not written),
// --write, --no-write, and each benchmark's own (see the top of its file, or docs/benchmarks.md).
import { spawnSync } from "node:child_process";
import path from "node:path";

const BENCHES = ["pipeline", "memory", "delivery", "transfer", "catalogue"];
const [first, ...rest] = process.argv.slice(2);
const named = BENCHES.includes(first ?? "");
const which = named ? [first] : BENCHES;
const flags = named ? rest : process.argv.slice(2);
const tsx = path.resolve(import.meta.dirname, "../../node_modules/tsx/dist/cli.mjs");
const started = Date.now();
for (const name of which) {
  console.log(`\n== ${name} ==`);
  const r = spawnSync(process.execPath, [tsx, "--conditions=@holdfast/source", path.join(import.meta.dirname, `${name}.ts`), ...flags], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
console.log(`\n${which.join(", ")}: ${((Date.now() - started) / 60_000).toFixed(1)} min`);
