import { describe, expect, it } from "vitest";
import { createBodyOf, newScheduleValues, updateBodyOf, validateSchedule, valuesOf } from "./schedule-form-values.js";
import type { ScheduleItem } from "./schedules-query.js";

const stored = {
  id: "sch_1",
  datasourceId: "ds_1",
  agentId: "agt_1",
  name: "nightly",
  cron: "0 3 * * *",
  timezone: "America/Sao_Paulo",
  destinationIds: ["dst_1"],
  options: { format: "custom", compression: { codec: "zstd", level: 7 }, maxFileSizeMb: 100 },
  retention: { keepDaily: 7 },
  retry: { attempts: 2, backoffMinutes: 5 },
  verify: true,
  paused: false,
  lastFiredAt: null,
  nextFireAt: null,
  createdAt: "2026-12-01T00:00:00.000Z",
  updatedAt: "2026-12-01T00:00:00.000Z",
} as ScheduleItem;

describe("the schedule form's values", () => {
  it("round-trips a whole server's databases, and points an empty pattern's error at its field", () => {
    const values = valuesOf({ ...stored, options: { databases: { include: ["app_*"] } }, verify: false } as ScheduleItem);
    expect(values.databases).toEqual({ include: ["app_*"], exclude: [] });
    expect(values.otherOptions).toEqual({});
    expect(updateBodyOf({ ...values, databases: { include: ["app_*"], exclude: ["app_tmp"] } }).options).toEqual({ databases: { include: ["app_*"], exclude: ["app_tmp"] } });
    expect(validateSchedule({ ...values, databases: { include: ["-x"], exclude: [] } })["databases.include"]).toBeDefined();
  });

  it("round-trips a stored schedule, keeping the options the form does not show", () => {
    const body = updateBodyOf(valuesOf(stored));
    expect(body).toMatchObject({ cron: "0 3 * * *", timezone: "America/Sao_Paulo", destinationIds: ["dst_1"], verify: true, name: "nightly" });
    expect(body.options).toEqual({ format: "custom", compression: { codec: "zstd", level: 7 }, maxFileSizeMb: 100 });
    expect(body.retention).toEqual({ keepLast: 0, keepDaily: 7, keepWeekly: 0, keepMonthly: 0, keepYearly: 0, manualRetentionDays: 0 });
  });

  it("clears an option set back to its default on update, rather than leaving the stored one", () => {
    const values = { ...valuesOf(stored), format: "", codec: "gzip" as const };
    expect(updateBodyOf(values).options).toEqual({ maxFileSizeMb: 100 });
  });

  it("leaves the name out when blank, so the server names it", () => {
    const values = { ...newScheduleValues([]), datasourceId: "ds_1", destinationIds: ["dst_1"] };
    expect(createBodyOf(values)).not.toHaveProperty("name");
    expect(createBodyOf(values)).not.toHaveProperty("options");
  });

  it("asks for a datasource and a destination, on their fields", () => {
    const errors = validateSchedule(newScheduleValues([]));
    expect(Object.keys(errors).sort()).toEqual(["datasourceId", "destinationIds"]);
    expect(errors.destinationIds).toBe("Choose at least one destination");
  });
});
