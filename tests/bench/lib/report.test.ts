import { describe, expect, it } from "vitest";
import { replaceSection, spread, verdict } from "./report.js";
import { summarize } from "./stats.js";

describe("benchmark report", () => {
  it("replaces a section's text in place and leaves the rest of the document alone", () => {
    const doc = "# Benchmarks\n\nintro\n\n## Pipeline\n\n<!-- bench:pipeline:start -->\nnot run yet\n<!-- bench:pipeline:end -->\n\n## Memory\n\nafter\n";
    const once = replaceSection(doc, "pipeline", "Pipeline", "figures 1");
    expect(once).toBe(doc.replace("not run yet", "figures 1"));
    expect(replaceSection(once, "pipeline", "Pipeline", "figures 2")).toBe(doc.replace("not run yet", "figures 2"));
  });

  it("appends a section the document does not have yet under its title", () => {
    expect(replaceSection("# Benchmarks\n", "memory", "Agent memory", "x")).toBe("# Benchmarks\n\n## Agent memory\n\n<!-- bench:memory:start -->\nx\n<!-- bench:memory:end -->\n");
  });

  it("prints the median with the range and the verdict on the median", () => {
    const s = summarize([1.1, 0.9, 1.0, 0.95, 2.0]);
    expect(spread(s)).toBe("1.00 (0.90–2.00)");
    expect(verdict(s, { op: "<=", limit: 1 })).toBe("<= 1: PASS");
    expect(verdict(s, { op: ">=", limit: 1.05 })).toBe(">= 1.05: FAIL");
  });
});
