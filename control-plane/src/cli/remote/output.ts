import Table from "cli-table3";
import pc from "picocolors";
import { type BlackoutWindow, formatBlackoutWindow } from "@holdfast/shared";

/**
 * Colours only on a terminal, and never with NO_COLOR (https://no-color.org) or TERM=dumb: a pipe
 * or a log file gets plain text.
 */
export function colorsFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env) {
  const enabled = stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== "dumb";
  return pc.createColors(enabled);
}
export const color = colorsFor(process.stdout);
export const colorErr = colorsFor(process.stderr);

/** One column of a table: its heading and how a row shows in it. */
export interface Column<T> {
  header: string;
  value: (row: T) => string | number | null | undefined;
}

/** Rows as a borderless table (headings, two spaces between columns), the way `kubectl get` prints. */
export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const table = new Table({
    head: columns.map((c) => c.header),
    chars: { top: "", "top-mid": "", "top-left": "", "top-right": "", bottom: "", "bottom-mid": "", "bottom-left": "", "bottom-right": "", left: "", "left-mid": "", mid: "", "mid-mid": "", right: "", "right-mid": "", middle: "  " },
    style: { head: color.isColorSupported ? ["bold"] : [], border: [], "padding-left": 0, "padding-right": 0, compact: true },
  });
  for (const row of rows) table.push(columns.map((c) => String(c.value(row) ?? "-")));
  return `${table.toString().split("\n").map((l) => l.trimEnd()).join("\n")}\n`;
}

/**
 * A listing: `--json` prints the API's items as they came (stable field names, one JSON document),
 * otherwise a table, or a line saying there is nothing on stderr (stdout stays empty for scripts).
 */
export function printList<T>(rows: readonly T[], columns: readonly Column<T>[], opts: { json: boolean; empty: string }): void {
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (rows.length === 0) {
    process.stderr.write(`${opts.empty}\n`);
    return;
  }
  process.stdout.write(renderTable(rows, columns));
}

/** One item: `--json` as the API answered it, otherwise `field: value` lines. */
export function printItem(item: unknown, fields: readonly [label: string, value: string | number | null | undefined][], opts: { json: boolean }): void {
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(item, null, 2)}\n`);
    return;
  }
  const width = Math.max(...fields.map(([label]) => label.length));
  process.stdout.write(fields.map(([label, value]) => `${color.dim(`${label}:`.padEnd(width + 1))} ${value ?? "-"}`).join("\n") + "\n");
}

/** A message for the person at the terminal: stderr, so stdout carries only results. */
export const say = (line: string) => process.stderr.write(`${line}\n`);

/**
 * The answer of a change: `--json` prints it as the API gave it; otherwise a line for the person on
 * stderr and, for a creation, the new id alone on stdout (`id=$(holdfast … create …)`).
 */
export function printDone(answer: unknown, opts: { json: boolean; message: string; id?: string }): void {
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
    return;
  }
  say(opts.message);
  if (opts.id !== undefined) process.stdout.write(`${opts.id}\n`);
}

/** Blackout windows as the CLI shows them: `mon,tue 01:00-05:00; sat 22:00-02:00`, or "none". */
export const blackoutText = (windows: readonly BlackoutWindow[]) => (windows.length > 0 ? windows.map(formatBlackoutWindow).join("; ") : "none");
