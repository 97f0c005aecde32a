// The fault suite's table, printed at the end of a run and kept in docs/reliability.md between the
// `faults:table` markers (as the benchmarks keep theirs in docs/benchmarks.md).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadWarning, type Machine } from "../../bench/lib/machine.js";
import { markdownTable, replaceSection, textTable, type Table } from "../../bench/lib/report.js";
import type { ScenarioResult } from "./results.js";

export const RELIABILITY_DOC = path.resolve(import.meta.dirname, "../../../docs/reliability.md");

export function resultsTable(results: ScenarioResult[]): Table {
  return { headers: ["scenario", "repetitions", "failures", "seed"], rows: results.map((r) => [r.scenario, String(r.repetitions), String(r.failures), String(r.seed)]) };
}

export function printResults(results: ScenarioResult[], seed: number, profile: string): void {
  console.log(`\nfault suite (${profile}), seed ${seed}; replay with HOLDFAST_FAULT_SEED=${seed}\n${textTable(resultsTable(results))}`);
  for (const r of results) console.log(`  ${r.scenario}: ${describeOutcomes(r)}`);
  for (const r of results) for (const p of r.problems) console.log(`  ${r.scenario} ${p}`);
}

export function describeOutcomes(r: ScenarioResult): string {
  const entries = Object.entries(r.outcomes ?? {}).sort((a, b) => b[1] - a[1]);
  return entries.length ? entries.map(([o, n]) => `${o} ×${n}`).join(", ") : "—";
}

/** Replaces the table in docs/reliability.md: start date, the machine and its load at the start (`machine`), profile, seed, table. */
export function writeResults(results: ScenarioResult[], seed: number, profile: string, started: Date, machine: Machine, file = RELIABILITY_DOC): void {
  const warning = loadWarning(machine);
  const minutes = (Date.now() - started.getTime()) / 60_000;
  const body = [
    `Run ${started.toISOString().slice(0, 16).replace("T", " ")} UTC; profile \`${profile}\`, seed ${seed}, ${minutes.toFixed(1)} min.`,
    "",
    ...machine.lines.map((l) => `- ${l}`),
    ...(warning ? ["", `**${warning}**`] : []),
    "",
    markdownTable(resultsTable(results)),
    "",
    "Where the random points fell (what the runs of each scenario ended as):",
    "",
    ...results.map((r) => `- ${r.scenario}: ${describeOutcomes(r)}`),
    ...results.flatMap((r) => r.problems.map((p) => `- FAILURE ${r.scenario} ${p}`)),
  ].join("\n");
  writeFileSync(file, replaceSection(readFileSync(file, "utf8"), "table", "Latest full run", body, "faults"));
  console.log(`table written to ${path.relative(process.cwd(), file)}`);
}
