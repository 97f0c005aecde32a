import { HoldfastError } from "@holdfast/shared";
import { describe, expect, it } from "vitest";
import { CANNOT_DELETE_NOTE, deletableAfter, deletableNow } from "./deletable.js";

const NOW = new Date("2026-12-07T03:00:00Z");
const free = { refusesDeletes: false };

describe("deletableNow: before any request", () => {
  it("deletes a copy with no lock, or one whose date has passed (to the millisecond)", () => {
    expect(deletableNow({ lockedUntil: null }, free, NOW)).toEqual({ verdict: "delete" });
    expect(deletableNow({ lockedUntil: NOW.getTime() }, free, NOW)).toEqual({ verdict: "delete" });
  });

  it("keeps a copy locked after now, noting the date", () => {
    const until = NOW.getTime() + 1;
    expect(deletableNow({ lockedUntil: until }, free, NOW)).toEqual({ verdict: "locked", until: new Date(until), note: "locked until 2026-12-07T03:00:00.001Z" });
  });

  it("does not ask a destination that refused a delete earlier in the pass; a lock still says its date first", () => {
    expect(deletableNow({ lockedUntil: null }, { refusesDeletes: true }, NOW)).toEqual({ verdict: "cannot-delete", note: CANNOT_DELETE_NOTE });
    expect(deletableNow({ lockedUntil: NOW.getTime() + 5 }, { refusesDeletes: true }, NOW)).toMatchObject({ verdict: "locked" });
  });
});

describe("deletableAfter: a refused delete", () => {
  it("credentials that may not delete keep the copy", () => {
    expect(deletableAfter(new HoldfastError("DESTINATION_DELETE_DENIED", "no"))).toEqual({ verdict: "cannot-delete", note: CANNOT_DELETE_NOTE });
  });

  it("a lock the server still holds keeps the copy until the server's date; a legal hold without one", () => {
    expect(deletableAfter(new HoldfastError("DESTINATION_OBJECT_LOCKED", "locked", { lockedUntil: "2027-01-01T00:00:00.000Z" }))).toEqual({
      verdict: "locked",
      until: new Date("2027-01-01T00:00:00.000Z"),
      note: "locked until 2027-01-01T00:00:00.000Z",
    });
    expect(deletableAfter(new HoldfastError("DESTINATION_OBJECT_LOCKED", "held", { lockedUntil: null, legalHold: true }))).toMatchObject({ verdict: "locked", until: null });
  });

  it("any other failure is one: reported and tried again next pass", () => {
    expect(deletableAfter(new HoldfastError("DESTINATION_UNREACHABLE", "down"))).toBeNull();
    expect(deletableAfter(new HoldfastError("DESTINATION_AUTH_FAILED", "bad key"))).toBeNull();
    expect(deletableAfter(new Error("boom"))).toBeNull();
  });
});
