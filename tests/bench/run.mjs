#!/usr/bin/env node
// `npm run bench [-- transfer|pipeline] [flags]`: runs one benchmark, or both in turn.
import { spawnSync } from "node:child_process";
import path from "node:path";

const [first, ...rest] = process.argv.slice(2);
const named = ["transfer", "pipeline", "catalogue"].includes(first ?? "");
const which = named ? [first] : ["pipeline", "transfer"];
const flags = named ? rest : process.argv.slice(2);
const tsx = path.resolve(import.meta.dirname, "../../node_modules/tsx/dist/cli.mjs");
for (const name of which) {
  console.log(`\n== ${name} ==`);
  const r = spawnSync(process.execPath, [tsx, "--conditions=@holdfast/source", path.join(import.meta.dirname, `${name}.ts`), ...flags], { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
