import { readFile } from "node:fs/promises";
import { API_ROUTE_ROLES, RecordedLiveEvent } from "@holdfast/shared";
import { describe, expect, it } from "vitest";
import { API_DOC_PATH, REGENERATE_API_DOC, renderApiDoc } from "../../scripts/render-api-doc.js";

describe("docs/api.md", () => {
  it("matches what the routes' OpenAPI document renders", async () => {
    const current = await readFile(API_DOC_PATH, "utf8").catch(() => "");
    expect(current === renderApiDoc(), `docs/api.md is stale: run \`${REGENERATE_API_DOC}\` from the repository root`).toBe(true);
  });

  it("has a section for every route of the role table and every live event kind", () => {
    const doc = renderApiDoc();
    for (const key of Object.keys(API_ROUTE_ROLES)) {
      const [method, pattern] = key.split(" ") as [string, string];
      expect(doc).toContain(`### ${method} /api/v1${pattern.replace(/:(\w+)/g, "{$1}")}\n`);
    }
    for (const kind of RecordedLiveEvent.options.map((o) => o.shape.type.value)) expect(doc).toContain(`### ${kind}\n`);
  });
});
