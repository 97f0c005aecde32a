import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// What `holdfast-agent run` loads before any work arrives is its idle memory (docs/decisions.md,
// "Agent idle memory (issue 18)"). This walks the static imports from main.ts and agent.ts (the
// source as compiled with verbatimModuleSyntax: `import type` is erased, `import { type X }` still
// loads its module) and checks that the packages kept for first use stay out of that graph.
const SRC = path.dirname(fileURLToPath(import.meta.url));
const SHARED = path.resolve(SRC, "../../shared/src");
const ENTRIES: Record<string, string> = { "@holdfast/shared": "index.ts", "@holdfast/shared/protocol": "protocol/index.ts", "@holdfast/shared/node": "node/index.ts" };
const STATIC = /^(import|export)\s+(type\s+)?[^;]*?\bfrom\s+"([^"]+)"|^import\s+"([^"]+)"/gms;

function staticGraph(entries: string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const m of fs.readFileSync(file, "utf8").matchAll(STATIC)) {
      if (m[2]) continue;
      const spec = (m[3] ?? m[4])!;
      if (spec.startsWith(".")) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, ".ts")));
      else if (ENTRIES[spec]) visit(path.join(SHARED, ENTRIES[spec]));
      else if (!spec.startsWith("node:")) packages.add(spec);
    }
  };
  for (const entry of entries) visit(path.join(SRC, entry));
  return { files, packages };
}

describe("the modules `run` loads at start", () => {
  const graph = staticGraph(["cli/main.ts", "log.ts", "agent.ts"]);

  it("reaches the link, the store and the engines (the walk follows real imports)", () => {
    expect(graph.packages).toEqual(new Set(["commander", "pino", "zod", "better-sqlite3", "ws"]));
    expect(graph.files).toContain(path.join(SRC, "link/connect.ts"));
    expect(graph.files).toContain(path.join(SHARED, "protocol/frames.ts"));
  });

  it("leaves out jose, tar-stream, picomatch and the REST API's schemas", () => {
    const api = [...graph.files].filter((file) => file.startsWith(path.join(SHARED, "api")) || file === path.join(SHARED, "index.ts"));
    expect(api).toEqual([]);
    expect(graph.packages).not.toContain("jose");
    expect(graph.packages).not.toContain("tar-stream");
    expect(graph.packages).not.toContain("picomatch");
  });
});
