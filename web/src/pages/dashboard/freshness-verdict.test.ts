import { describe, expect, it } from "vitest";
import type { DatasourceFreshness } from "./dashboard-queries.js";
import { freshnessVerdict } from "./freshness-verdict.js";

const base: DatasourceFreshness = {
  datasourceId: "ds_1",
  datasourceName: "shop",
  runId: "run_1",
  finishedAt: "2026-12-06T03:05:00.000Z",
  activeSchedules: 1,
  dueAt: "2026-12-07T03:00:00.000Z",
  overdue: false,
};

describe("a datasource's backup freshness in words", () => {
  it("is red only when the control plane found it overdue", () => {
    expect(freshnessVerdict(base)).toMatchObject({ label: "on time", color: "green" });
    expect(freshnessVerdict({ ...base, overdue: true })).toMatchObject({ label: "overdue", color: "red" });
    expect(freshnessVerdict({ ...base, runId: null, finishedAt: null, overdue: true })).toMatchObject({ label: "overdue", color: "red" });
  });

  it("tells a datasource never backed up from one whose first backup is still to come", () => {
    expect(freshnessVerdict({ ...base, runId: null, finishedAt: null })).toMatchObject({ label: "first due", color: "yellow" });
    expect(freshnessVerdict({ ...base, runId: null, finishedAt: null, activeSchedules: 0, dueAt: null })).toMatchObject({ label: "never backed up", color: "gray" });
    expect(freshnessVerdict({ ...base, activeSchedules: 0, dueAt: null })).toMatchObject({ label: "unscheduled", color: "gray" });
  });
});
