import { describe, expect, it } from "vitest";
import { StartBackupBody } from "./api/runs.js";
import { CreateScheduleBody } from "./api/schedules.js";
import { ListRunsQuery } from "./api/runs-query.js";
import { parseOrThrow } from "./errors.js";

function refusal(schema: Parameters<typeof parseOrThrow>[0], value: unknown, what?: string) {
  try {
    parseOrThrow(schema, value, what);
  } catch (err) {
    return err as { code: string; message: string; details: { issues: { path: string; message: string }[] } };
  }
  throw new Error("expected a refusal");
}

describe("VALIDATION_FAILED from a schema", () => {
  it("says one thing per mistake: a list sent as a string is a wrong type, not also a too-long string", () => {
    const err = refusal(StartBackupBody, { destinationIds: "dst_0123456789abcdef0123456789" }, "backup request");
    expect(err.code).toBe("VALIDATION_FAILED");
    expect(err.details.issues).toEqual([{ path: "destinationIds", message: "Invalid input: expected array, received string" }]);
    expect(err.message).toBe("Invalid backup request: destinationIds: Invalid input: expected array, received string");
  });

  it("does so wherever a checked list or string arrives with the wrong type", () => {
    const err = refusal(CreateScheduleBody, { datasourceId: 7, cron: "0 3 * * *", timezone: "UTC", destinationIds: "dst_0123456789abcdef0123456789" });
    expect(err.details.issues.map((i) => i.path)).toEqual(["datasourceId", "destinationIds"]);
  });

  it("keeps every field's own mistake and counts the rest in the message", () => {
    const err = refusal(ListRunsQuery, { state: "exploded", limit: "0" }, "query");
    expect(err.details.issues.map((i) => i.path).sort()).toEqual(["limit", "state"]);
    expect(err.message).toMatch(/^Invalid query: (state|limit): .+ \(and 1 more in details\.issues\)$/);
  });

  it("names the request itself when the mistake is not in one field", () => {
    const err = refusal(StartBackupBody, "not an object", "backup request");
    expect(err.details.issues).toEqual([{ path: "", message: "Invalid input: expected object, received string" }]);
    expect(err.message).toBe("Invalid backup request: Invalid input: expected object, received string");
  });
});
