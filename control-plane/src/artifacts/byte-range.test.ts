import { HoldfastError } from "@holdfast/shared";
import { describe, expect, it } from "vitest";
import { parseRange } from "./byte-range.js";

const codeOf = (header: string, size: number) => {
  try {
    parseRange(header, size);
  } catch (err) {
    return (err as HoldfastError).code;
  }
  return "none";
};

describe("parseRange (one Range of RFC 9110)", () => {
  it.each([
    ["bytes=0-0", 10, { start: 0, end: 0 }],
    ["bytes=2-", 10, { start: 2, end: 9 }],
    ["bytes=2-99", 10, { start: 2, end: 9 }],
    ["bytes=-3", 10, { start: 7, end: 9 }],
    ["bytes=-30", 10, { start: 0, end: 9 }],
    [" BYTES=4-5 ", 10, { start: 4, end: 5 }],
  ])("%s of %i bytes is %o", (header, size, span) => expect(parseRange(header, size)).toEqual(span));

  it("ignores no header and another unit, as a server must", () => {
    expect(parseRange(undefined, 10)).toBeNull();
    expect(parseRange("items=0-5", 10)).toBeNull();
  });

  it.each([
    ["bytes=10-", 10, "RANGE_NOT_SATISFIABLE"],
    ["bytes=-0", 10, "RANGE_NOT_SATISFIABLE"],
    ["bytes=0-", 0, "RANGE_NOT_SATISFIABLE"],
    ["bytes=-1", 0, "RANGE_NOT_SATISFIABLE"],
    ["bytes=5-4", 10, "VALIDATION_FAILED"],
    ["bytes=0-1,3-4", 10, "VALIDATION_FAILED"],
    ["bytes=-", 10, "VALIDATION_FAILED"],
    ["bytes=a-b", 10, "VALIDATION_FAILED"],
    ["0-5", 10, "VALIDATION_FAILED"],
  ])("%s of %i bytes is refused with %s", (header, size, code) => expect(codeOf(header, size)).toBe(code));

  it("says the size in a 416, for Content-Range: bytes */size", () => {
    expect(() => parseRange("bytes=20-", 10)).toThrow(expect.objectContaining({ code: "RANGE_NOT_SATISFIABLE", details: { sizeBytes: 10 } }));
  });
});
