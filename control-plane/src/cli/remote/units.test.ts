import { describe, expect, it } from "vitest";
import { bytes, millis } from "./units.js";

describe("units for people", () => {
  it("bytes in decimal units, a dash when unknown", () => {
    expect(bytes(262_144)).toBe("262.14 kB");
    expect(bytes(1_500_000_000)).toBe("1.5 GB");
    expect(bytes(null)).toBe("-");
  });
  it("milliseconds: a decimal below 10, whole above", () => {
    expect(millis(0.4321)).toBe("0.4 ms");
    expect(millis(12.6)).toBe("13 ms");
  });
});
