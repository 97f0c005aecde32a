import { describe, expect, it } from "vitest";
import { planManualRetention } from "./plan-manual.js";
import type { RetentionBackup } from "./types.js";

const now = new Date("2026-05-31T12:00:00Z");
const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000);
const manual = (id: string, age: number, extra: Partial<RetentionBackup> = {}): RetentionBackup => ({ id, finishedAt: daysAgo(age), ok: true, manual: true, ...extra });
const scheduled = (id: string, age: number): RetentionBackup => ({ id, finishedAt: daysAgo(age), ok: true });

const byId = (plan: ReturnType<typeof planManualRetention>) => Object.fromEntries(plan.map((d) => [d.id, d]));

describe("planManualRetention", () => {
  it("deletes manual backups older than manualRetentionDays, keeps the rest", () => {
    const plan = byId(planManualRetention([scheduled("s", 0), manual("young", 5), manual("edge", 30), manual("old", 30.001), manual("broken", 90, { ok: false })], 30, now));
    expect(plan.s).toEqual({ id: "s", keep: true, reasons: ["scheduled: decided by GFS", "newest successful"] });
    expect(plan.young).toEqual({ id: "young", keep: true, reasons: ["manual: younger than 30 days"] });
    expect(plan.edge?.keep).toBe(true);
    expect(plan.old).toEqual({ id: "old", keep: false, reasons: ["manual: older than 30 days"] });
    expect(plan.broken).toEqual({ id: "broken", keep: true, reasons: ["failed: not a retention candidate"] });
  });

  it.each([undefined, 0])("keeps every manual backup when the limit is %s", (days) => {
    const plan = planManualRetention([manual("a", 1), manual("b", 4000)], days, now);
    expect(plan.map((d) => [d.id, d.keep, d.reasons[0]])).toEqual([
      ["a", true, "manual: kept until deleted"],
      ["b", true, "manual: kept until deleted"],
    ]);
  });

  it("never deletes the newest successful or the newest verified backup, however old", () => {
    const plan = byId(planManualRetention([manual("failed-newer", 1, { ok: false }), manual("last-good", 400), manual("verified", 500, { verified: true }), manual("gone", 600, { verified: true })], 30, now));
    expect(plan["last-good"]).toEqual({ id: "last-good", keep: true, reasons: ["newest successful"] });
    expect(plan.verified).toEqual({ id: "verified", keep: true, reasons: ["newest verified"] });
    expect(plan.gone?.keep).toBe(false);
  });

  it("keeps a held manual backup past its days, saying why", () => {
    const plan = byId(planManualRetention([manual("new", 1), manual("held", 90, { held: "audit request" }), manual("old", 90)], 30, now));
    expect(plan.held).toEqual({ id: "held", keep: true, reasons: ["held: audit request"] });
    expect(plan.old?.keep).toBe(false);
  });
});
