import { describe, expect, it } from "vitest";
import { isFiltered, listQueryFor, RunsSearch } from "./runs-search.js";

describe("RunsSearch", () => {
  it("keeps valid filters from the URL and drops what is not valid", () => {
    expect(RunsSearch.parse({ state: "failed", trigger: "schedule", from: "2026-12-01", datasourceId: "ds_1" })).toEqual({ state: "failed", trigger: "schedule", from: "2026-12-01", datasourceId: "ds_1" });
    expect(RunsSearch.parse({ state: "sleeping", from: "yesterday", datasourceId: "../x" })).toEqual({ state: undefined, from: undefined, datasourceId: undefined });
  });
});

describe("listQueryFor", () => {
  it("bounds the chosen days by the viewer's midnights, the last day included", () => {
    expect(listQueryFor({ from: "2026-12-01", to: "2026-12-03" })).toEqual({
      from: new Date(2026, 11, 1).toISOString(),
      to: new Date(2026, 11, 4).toISOString(),
    });
  });

  it("reads a range given backwards the right way round", () => {
    expect(listQueryFor({ from: "2026-12-03", to: "2026-12-01" })).toEqual(listQueryFor({ from: "2026-12-01", to: "2026-12-03" }));
  });

  it("passes the other filters as they are and leaves out what is unset", () => {
    expect(listQueryFor({ state: "running", trigger: "manual", kind: "restore", datasourceId: "ds_1" })).toEqual({ state: "running", trigger: "manual", kind: "restore", datasourceId: "ds_1" });
    expect(listQueryFor({})).toEqual({});
    expect(isFiltered({})).toBe(false);
    expect(isFiltered({ state: undefined, kind: "backup" })).toBe(true);
  });
});
