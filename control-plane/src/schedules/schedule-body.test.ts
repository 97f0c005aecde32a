import { CreateScheduleBody, UpdateScheduleBody } from "@holdfast/shared";
import { describe, expect, it } from "vitest";

// The schemas live in shared (the wire contract); their tests sit here with the code that uses them.
const valid = { datasourceId: "ds_1", cron: "0 3 * * *", timezone: "Europe/Berlin", destinationIds: ["dst_1"] };
const issuesOf = (r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) => r.error?.issues.map((i) => i.path.join("."));

describe("CreateScheduleBody", () => {
  it("accepts the minimal body and the full one", () => {
    expect(CreateScheduleBody.safeParse(valid).success).toBe(true);
    const full = {
      ...valid,
      name: "nightly",
      options: { format: "custom", compression: { codec: "zstd", level: 3 } },
      retention: { keepLast: 3, keepDaily: 7, keepWeekly: 4, keepMonthly: 12, keepYearly: 0, manualRetentionDays: 30 },
      verify: true,
      paused: false,
      retry: { attempts: 0, backoffMinutes: 1440 },
    };
    expect(CreateScheduleBody.parse(full)).toEqual(full);
  });

  it.each([
    [{ ...valid, destinationIds: [] }, "destinationIds"],
    [{ ...valid, extra: 1 }, ""],
    [{ ...valid, retention: { keepDaily: 7, keepHourly: 24 } }, "retention"],
    [{ ...valid, retention: { keepDaily: -1 } }, "retention.keepDaily"],
    [{ ...valid, retention: { keepDaily: 10_001 } }, "retention.keepDaily"],
    [{ ...valid, retention: { keepDaily: 1.5 } }, "retention.keepDaily"],
    [{ ...valid, retry: { attempts: 11 } }, "retry.attempts"],
    [{ ...valid, retry: { backoffMinutes: 0 } }, "retry.backoffMinutes"],
    [{ ...valid, retry: { backoffMinutes: 1441 } }, "retry.backoffMinutes"],
    [{ ...valid, options: { format: "plain", codec: "gzip" } }, "options"],
    [{ ...valid, cron: "   " }, "cron"],
    [{ ...valid, timezone: undefined }, "timezone"],
  ])("refuses %j at %s", (body, path) => {
    const r = CreateScheduleBody.safeParse(body);
    expect(r.success).toBe(false);
    expect(issuesOf(r)).toContain(path);
  });
});

describe("UpdateScheduleBody", () => {
  it("takes any subset of the fields", () => {
    expect(UpdateScheduleBody.parse({ paused: true })).toEqual({ paused: true });
    expect(UpdateScheduleBody.parse({})).toEqual({});
  });

  it("refuses unknown keys and a new datasourceId", () => {
    expect(UpdateScheduleBody.safeParse({ paused: true, extra: 1 }).success).toBe(false);
    expect(UpdateScheduleBody.safeParse({ datasourceId: "ds_2" }).success).toBe(false);
    expect(UpdateScheduleBody.safeParse({ destinationIds: [] }).success).toBe(false);
  });
});
