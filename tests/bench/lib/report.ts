// Prints a benchmark's table to the terminal and keeps it in docs/benchmarks.md, in the section
// between the benchmark's markers, replaced in place on a rerun.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadWarning, type Machine } from "./machine.js";
import { meets, type Summary, type Target } from "./stats.js";

export const BENCHMARKS_DOC = path.resolve(import.meta.dirname, "../../../docs/benchmarks.md");

/** "1.23 (1.10–1.40)": the median, then the whole range. */
export function spread(s: Summary, digits = 2): string {
  return `${s.median.toFixed(digits)} (${s.min.toFixed(digits)}–${s.max.toFixed(digits)})`;
}

/** The same with the interquartile range, for ratios, where the spread decides whether a verdict is close. */
export function spreadIqr(s: Summary, digits = 2): string {
  return `${spread(s, digits)} IQR ${s.q1.toFixed(digits)}–${s.q3.toFixed(digits)}`;
}

export function verdict(s: Summary, t: Target): string {
  return `${t.op} ${t.limit}: ${meets(s, t) ? "PASS" : "FAIL"}`;
}

export type Table = { headers: string[]; rows: string[][] };
export type Section = {
  /** The marker name: `pipeline`, `memory`, `delivery`, `transfer`. */
  name: string;
  title: string;
  /** What was run: sizes, pairs, codecs. */
  params: string;
  tables: Table[];
  notes: string[];
};

export function textTable(t: Table): string {
  const all = [t.headers, ...t.rows];
  const widths = t.headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all.map((r) => r.map((c, i) => (c ?? "").padEnd(widths[i]!)).join("  ")).join("\n");
}

export function markdownTable(t: Table): string {
  const line = (r: string[]) => `| ${r.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  return [line(t.headers), line(t.headers.map(() => "---")), ...t.rows.map(line)].join("\n");
}

export function printSection(s: Section, m: Machine): void {
  const warning = loadWarning(m);
  console.log(`\n${s.title}\n${s.params}`);
  for (const l of m.lines) console.log(`  ${l}`);
  if (warning) console.log(warning);
  for (const t of s.tables) console.log(`\n${textTable(t)}`);
  for (const n of s.notes) console.log(n);
}

export function renderSection(s: Section, m: Machine, when = new Date()): string {
  const warning = loadWarning(m);
  return [
    `Run ${when.toISOString().slice(0, 16).replace("T", " ")} UTC; ${s.params}.`,
    "",
    ...m.lines.map((l) => `- ${l}`),
    ...(warning ? ["", `**${warning}**`] : []),
    ...s.tables.flatMap((t) => ["", markdownTable(t)]),
    ...(s.notes.length ? ["", ...s.notes] : []),
  ].join("\n");
}

const start = (name: string, prefix: string) => `<!-- ${prefix}:${name}:start -->`;
const end = (name: string, prefix: string) => `<!-- ${prefix}:${name}:end -->`;

/**
 * Replaces the text between a section's markers in `doc`; a section the doc lacks is appended under
 * its title. `prefix`: the markers' first word (`bench`; the fault suite's are `faults`).
 */
export function replaceSection(doc: string, name: string, title: string, body: string, prefix = "bench"): string {
  const block = `${start(name, prefix)}\n${body}\n${end(name, prefix)}`;
  const from = doc.indexOf(start(name, prefix));
  const to = doc.indexOf(end(name, prefix));
  if (from >= 0 && to > from) return doc.slice(0, from) + block + doc.slice(to + end(name, prefix).length);
  return `${doc.trimEnd()}\n\n## ${title}\n\n${block}\n`;
}

export function writeSection(s: Section, m: Machine, file = BENCHMARKS_DOC): void {
  writeFileSync(file, replaceSection(readFileSync(file, "utf8"), s.name, s.title, renderSection(s, m)));
  process.stderr.write(`table written to ${path.relative(process.cwd(), file)} (section ${s.name})\n`);
}
