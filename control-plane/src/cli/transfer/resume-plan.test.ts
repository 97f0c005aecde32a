import { describe, expect, it } from "vitest";
import { resumePlan, writeModeOf } from "./resume-plan.js";

describe("resuming a download", () => {
  it("starts from 0 without a partial, or with one longer than the artifact (not its beginning)", () => {
    expect(resumePlan(null, 100)).toEqual({ from: 0, fetch: true });
    expect(resumePlan(0, 100)).toEqual({ from: 0, fetch: true });
    expect(resumePlan(150, 100)).toEqual({ from: 0, fetch: true });
  });

  it("asks for the rest after the bytes it has", () => {
    expect(resumePlan(40, 100)).toEqual({ from: 40, fetch: true, range: "bytes=40-" });
  });

  it("fetches nothing when the partial is whole: only the hash check is left", () => {
    expect(resumePlan(100, 100)).toEqual({ from: 100, fetch: false });
  });

  it("appends a 206 that starts where the partial ends, starts over on a 200, refuses anything else", () => {
    expect(writeModeOf(206, "bytes 40-99/100", 40)).toBe("append");
    expect(writeModeOf(200, null, 40)).toBe("truncate");
    expect(writeModeOf(206, "bytes 0-99/100", 40)).toBeNull();
    expect(writeModeOf(206, null, 40)).toBeNull();
    expect(writeModeOf(416, "bytes */100", 40)).toBeNull();
  });
});
