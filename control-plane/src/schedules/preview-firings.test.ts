import { CronPreviewQuery, HoldfastError } from "@holdfast/shared";
import { describe, expect, it } from "vitest";
import { nextFirings } from "./cron.js";
import { previewFirings } from "./preview-firings.js";

const at = (iso: string) => ({ clock: { now: () => new Date(iso) } }) as Parameters<typeof previewFirings>[0];
const query = (q: Record<string, string>) => CronPreviewQuery.parse(q);

describe("previewFirings", () => {
  it("lists five firings by default, on the zone's wall clock with its offset", async () => {
    const answer = await previewFirings(at("2026-12-07T12:00:00Z"), query({ cron: "0 3 * * *", timezone: "America/Sao_Paulo" }));
    expect(answer).toEqual({
      timezone: "America/Sao_Paulo",
      next: ["2026-12-08T03:00:00-03:00", "2026-12-09T03:00:00-03:00", "2026-12-10T03:00:00-03:00", "2026-12-11T03:00:00-03:00", "2026-12-12T03:00:00-03:00"],
    });
  });

  it("answers the instants the scheduler fires at, across a DST change", async () => {
    const from = new Date("2026-03-27T12:00:00Z");
    const answer = await previewFirings(at(from.toISOString()), query({ cron: "30 2 * * *", timezone: "Europe/Berlin", count: "3" }));
    expect(answer.next).toEqual(["2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"]);
    expect(answer.next.map((s) => new Date(s).toISOString())).toEqual(nextFirings("30 2 * * *", "Europe/Berlin", from, 3).map((d) => d.toISOString()));
  });

  it.each([
    [{ cron: "0 3 * *", timezone: "UTC" }, "cron"],
    [{ cron: "0 0 31 2 *", timezone: "UTC" }, "cron"],
    [{ cron: "0 3 * * *", timezone: "Mars/Olympus_Mons" }, "timezone"],
  ])("refuses %j naming the field %s", async (q, field) => {
    let err: unknown;
    try {
      await previewFirings(at("2026-12-07T12:00:00Z"), query(q));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HoldfastError);
    expect(err).toMatchObject({ code: "VALIDATION_FAILED", details: { issues: [{ path: field }] } });
  });

  it("refuses a count the query schema does not allow", () => {
    expect(CronPreviewQuery.safeParse({ cron: "0 3 * * *", timezone: "UTC", count: "101" }).success).toBe(false);
    expect(CronPreviewQuery.safeParse({ cron: "0 3 * * *", timezone: "UTC", extra: "1" }).success).toBe(false);
  });
});
