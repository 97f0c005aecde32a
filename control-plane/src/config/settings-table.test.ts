import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SETTING_KEYS, variableOf } from "../env.js";

/*
 * env.ts declares each setting once; the README's settings table is what operators read. This keeps
 * the two from drifting: every setting has a row giving its variable and its file key, in pairs.
 */

const README = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");

/** The rows of the table headed `| variable | file key | default | |`, as [variables, file keys]. */
function settingsRows(): Array<{ variables: string[]; keys: string[] }> {
  const lines = README.split("\n");
  const header = lines.findIndex((l) => l.startsWith("| variable | file key |"));
  expect(header, "README.md has the settings table").toBeGreaterThan(0);
  const rows: Array<{ variables: string[]; keys: string[] }> = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith("|")) break;
    const [variables = "", keys = ""] = line.slice(1).split(" | ");
    const ticked = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    rows.push({ variables: ticked(variables), keys: ticked(keys) });
  }
  return rows;
}

describe("the README's settings table", () => {
  const rows = settingsRows();
  const byVariable = new Map(SETTING_KEYS.map((key) => [variableOf(key), key]));

  it("lists every setting of env.ts once, with its variable and its file key side by side", () => {
    const listed = rows.flatMap((row) => row.variables.filter((v) => byVariable.has(v)));
    expect(listed.filter((v, i) => listed.indexOf(v) !== i), "listed twice").toEqual([]);
    expect(SETTING_KEYS.map(variableOf).filter((v) => !listed.includes(v)), "settings missing from the table").toEqual([]);
    for (const row of rows) {
      const settings = row.variables.filter((v) => byVariable.has(v));
      expect(row.keys, `file keys of ${row.variables.join(", ")}`).toEqual(settings.map((v) => byVariable.get(v)));
    }
  });

  it("gives no file key to a variable the control plane's file does not know (the agent's, the file's own)", () => {
    for (const row of rows.filter((r) => r.variables.some((v) => !byVariable.has(v)))) {
      expect(row.variables.every((v) => !byVariable.has(v)), `a row mixes settings and other variables: ${row.variables.join(", ")}`).toBe(true);
      expect(row.keys).toEqual([]);
    }
  });
});
