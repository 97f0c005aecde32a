import { describe, expect, it } from "vitest";
import { cronOf, presetOf, switchPreset } from "./cron-presets.js";

describe("cron presets", () => {
  it.each([
    [{ kind: "hourly", minute: 15 } as const, "15 * * * *"],
    [{ kind: "daily", time: "03:00" } as const, "0 3 * * *"],
    [{ kind: "weekly", weekday: 0, time: "23:45" } as const, "45 23 * * 0"],
    [{ kind: "custom", cron: "*/5 * * * *" } as const, "*/5 * * * *"],
  ])("%j is the cron %s, and that cron opens as it", (preset, cron) => {
    expect(cronOf(preset)).toBe(cron);
    expect(presetOf(cron)).toEqual(preset);
  });

  it("gives no cron for a time that is not HH:MM or a minute out of range", () => {
    expect(cronOf({ kind: "daily", time: "24:00" })).toBeNull();
    expect(cronOf({ kind: "weekly", weekday: 1, time: "" })).toBeNull();
    expect(cronOf({ kind: "hourly", minute: 60 })).toBeNull();
  });

  it.each([["0 3 1 * *"], ["0 3 * * 1-5"], ["30 0 3 * * *"], ["@daily"], ["0 */2 * * *"]])("keeps %s as a custom cron", (cron) => {
    expect(presetOf(cron)).toEqual({ kind: "custom", cron });
  });

  it("reads Sunday written as 7 as Sunday", () => {
    expect(presetOf("0 3 * * 7")).toEqual({ kind: "weekly", weekday: 0, time: "03:00" });
  });

  it("carries the time of day to another preset, and the cron to custom", () => {
    expect(switchPreset({ kind: "daily", time: "04:30" }, "weekly")).toEqual({ kind: "weekly", weekday: 1, time: "04:30" });
    expect(switchPreset({ kind: "weekly", weekday: 5, time: "04:30" }, "custom")).toEqual({ kind: "custom", cron: "30 4 * * 5" });
  });
});
