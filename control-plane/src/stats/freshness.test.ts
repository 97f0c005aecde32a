import { describe, expect, it } from "vitest";
import { backupFreshness } from "./freshness.js";

const at = (iso: string) => Date.parse(iso);
const SIX_HOURS = 6 * 3_600_000;
const daily = { cron: "0 3 * * *", timezone: "UTC", createdAt: at("2026-01-01T00:00:00Z") };
const hourly = { cron: "0 * * * *", timezone: "UTC", createdAt: at("2026-01-01T00:00:00Z") };

describe("a datasource's last good backup against its schedules", () => {
  it("is fresh until the missed firing is past by the run's longest duration", () => {
    const lastGood = at("2026-11-23T03:00:00Z");
    expect(backupFreshness(lastGood, [daily], SIX_HOURS, at("2026-11-24T08:59:00Z"))).toEqual({ dueAt: at("2026-11-24T03:00:00Z"), overdue: false });
    expect(backupFreshness(lastGood, [daily], SIX_HOURS, at("2026-11-24T09:01:00Z"))).toEqual({ dueAt: at("2026-11-24T03:00:00Z"), overdue: true });
  });

  it("gives an hourly schedule only until the next hour, shorter than the run's longest duration", () => {
    const lastGood = at("2026-11-24T10:00:00Z");
    expect(backupFreshness(lastGood, [hourly], SIX_HOURS, at("2026-11-24T11:59:00Z")).overdue).toBe(false);
    expect(backupFreshness(lastGood, [hourly], SIX_HOURS, at("2026-11-24T12:01:00Z")).overdue).toBe(true);
  });

  it("reads the firing in the schedule's zone", () => {
    const lisbonSummer = { ...daily, timezone: "Europe/Lisbon" };
    expect(backupFreshness(at("2026-07-01T12:00:00Z"), [lisbonSummer], SIX_HOURS, at("2026-07-01T13:00:00Z")).dueAt).toBe(at("2026-07-02T02:00:00Z"));
  });

  it("has no verdict without an active schedule, and counts a new schedule from its creation", () => {
    expect(backupFreshness(null, [], SIX_HOURS, at("2026-11-24T12:00:00Z"))).toEqual({ dueAt: null, overdue: false });
    const created = { ...daily, createdAt: at("2026-11-24T04:00:00Z") };
    expect(backupFreshness(null, [created], SIX_HOURS, at("2026-11-24T12:00:00Z"))).toEqual({ dueAt: at("2026-11-25T03:00:00Z"), overdue: false });
    expect(backupFreshness(null, [created], SIX_HOURS, at("2026-11-25T10:00:00Z")).overdue).toBe(true);
  });

  it("takes the most demanding of several schedules", () => {
    const lastGood = at("2026-11-24T03:00:00Z");
    const verdict = backupFreshness(lastGood, [daily, hourly], SIX_HOURS, at("2026-11-24T05:30:00Z"));
    expect(verdict).toEqual({ dueAt: at("2026-11-24T04:00:00Z"), overdue: true });
  });

  it("reads firings after blackout windows: a deferred one is due at the window's end, a skipped one not at all", () => {
    const lastGood = at("2026-11-23T06:00:00Z");
    const nightly = { ...daily, agentBlackout: JSON.stringify([{ days: ["tue"], from: "02:00", to: "06:00" }]), agentTimezone: "UTC" };
    // Tuesday 2026-11-24 03:00 falls inside: deferred to 06:00, late only 6 h after that.
    expect(backupFreshness(lastGood, [nightly], SIX_HOURS, at("2026-11-24T11:59:00Z"))).toEqual({ dueAt: at("2026-11-24T06:00:00Z"), overdue: false });
    expect(backupFreshness(lastGood, [nightly], SIX_HOURS, at("2026-11-24T12:01:00Z")).overdue).toBe(true);
    // Skipped: Tuesday's backup is not expected; Wednesday's is.
    const skipping = { ...nightly, blackoutMisfire: "skip" };
    expect(backupFreshness(lastGood, [skipping], SIX_HOURS, at("2026-11-24T20:00:00Z"))).toEqual({ dueAt: at("2026-11-25T03:00:00Z"), overdue: false });
  });
});
