import { describe, expect, it } from "vitest";
import { splitInitialAndLazy } from "./bundle-size.js";

describe("splitInitialAndLazy", () => {
  it("counts the entry, its static imports and their CSS as initial, lazy pages apart", () => {
    const { initial, lazy } = splitInitialAndLazy({
      "index.html": { file: "assets/index-a.js", isEntry: true, imports: ["_vendor"], css: ["assets/index-a.css"], dynamicImports: ["src/pages/agents.tsx"] },
      _vendor: { file: "assets/vendor-b.js" },
      _table: { file: "assets/table-c.js", css: ["assets/table-c.css"] },
      "src/pages/agents.tsx": { file: "assets/agents-d.js", isDynamicEntry: true, imports: ["_vendor", "_table"] },
    });
    expect(initial.sort()).toEqual(["assets/index-a.css", "assets/index-a.js", "assets/vendor-b.js"]);
    expect(Object.fromEntries(lazy)).toEqual({ "src/pages/agents.tsx": ["assets/agents-d.js", "assets/table-c.js", "assets/table-c.css"] });
  });
});
