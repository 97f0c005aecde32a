import { describe, expect, it } from "vitest";
import { artifactObjectName, compactUtc, extensionOf, objectsOf, recordsName } from "./object-name.js";
import { backoffAfter } from "./retry-policy.js";

const run = (fileName: string | null, createdAt = Date.parse("2026-11-24T07:15:00.123Z")) => ({ id: "run_abc", datasourceId: "ds_1", createdAt, fileName });

describe("object names", () => {
  it("are <datasource>/<yyyy>/<mm>/<UTC timestamp>_<runId><ext>, so a listing sorts by time", () => {
    expect(artifactObjectName(run("run_abc.sql.gz"))).toBe("ds_1/2026/11/20261124T071500Z_run_abc.sql.gz");
    // UTC, whatever the zone the control plane runs in: New Year's Eve in New York is January in the name.
    expect(artifactObjectName(run("x.dump.zst.age", Date.parse("2027-01-01T03:00:00Z")))).toBe("ds_1/2027/01/20270101T030000Z_run_abc.dump.zst.age");
    const names = [Date.parse("2026-02-03T04:05:06Z"), Date.parse("2026-11-24T00:00:00Z"), Date.parse("2026-02-03T04:05:07Z")].map((t) => artifactObjectName(run("a.sql", t)));
    expect([...names].sort()).toEqual([names[0], names[2], names[1]]);
    expect(compactUtc(Date.parse("2026-11-24T07:15:00Z"))).toBe("20261124T071500Z");
  });

  it("take the extension from the names the agent makes, never a path or odd characters", () => {
    expect(extensionOf("run_1.dir.tar.gz")).toBe(".dir.tar.gz");
    expect(extensionOf("run_1.sql")).toBe(".sql");
    expect(extensionOf("deep/dir/run_1.tar.zst")).toBe(".tar.zst");
    expect(extensionOf("run_1.weird")).toBe(".weird");
    expect(extensionOf("run_1.../../etc")).toBe(".bin");
    expect(extensionOf("run_1.a b")).toBe(".bin");
    expect(extensionOf(null)).toBe(".bin");
  });

  it("list every object a delivery writes: the artifact or its parts, and the sidecar", () => {
    expect(objectsOf("d/a.sql.gz", undefined)).toEqual(["d/a.sql.gz", "d/a.sql.gz.json"]);
    expect(objectsOf("d/a.sql.gz", [{ index: 1 }, { index: 2 }])).toEqual(["d/a.sql.gz.part0001", "d/a.sql.gz.part0002", "d/a.sql.gz.json"]);
  });

  it("match a recorded location only when it ends with the whole name", () => {
    expect(recordsName("/srv/b/ds_1/2026/11/x_run.sql.gz", "ds_1/2026/11/x_run.sql.gz")).toBe(true);
    expect(recordsName("s3://bucket/prefix/ds_1/2026/11/x_run.sql.gz", "ds_1/2026/11/x_run.sql.gz")).toBe(true);
    expect(recordsName("/srv/b/xds_1/2026/11/x_run.sql.gz", "ds_1/2026/11/x_run.sql.gz")).toBe(false);
    expect(recordsName("/srv/b/ds_1/run.sql.gz", "ds_1/2026/11/x_run.sql.gz")).toBe(false);
    expect(recordsName(null, "a")).toBe(false);
  });
});

describe("delivery backoff", () => {
  it("doubles from the base and stops growing at an hour", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffAfter(n, 60_000) / 60_000)).toEqual([1, 2, 4, 8, 16, 32, 60, 60]);
    expect(backoffAfter(3, 100)).toBe(400);
    expect(backoffAfter(1, 7_200_000)).toBe(7_200_000);
    expect(backoffAfter(1000, 1000)).toBe(3_600_000);
  });
});
