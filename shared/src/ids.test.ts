import { describe, expect, it } from "vitest";
import { Id, newId, SAFE_ID } from "./ids.js";
import { Commands } from "./protocol/commands.js";

describe("ids", () => {
  it("newId makes ids of the safe alphabet, and the schema takes them", () => {
    for (const prefix of ["run", "agt", "ds", "dst", "usr", "req", "evt", "ses", "dlv", "tok", "idem", "sch"] as const) {
      const id = newId(prefix);
      expect(id).toMatch(SAFE_ID);
      expect(Id.parse(id)).toBe(id);
    }
  });

  it("refuses anything that could be more than one path segment, or none", () => {
    for (const bad of ["", "../etc", "a/b", "a\\b", ".", "run 1", "run\n1", "x".repeat(129)]) expect(Id.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
  });

  it("is what the link's commands use: a run id with a path in it is refused at the boundary", () => {
    expect(Commands.cleanupStaging.payload.safeParse({ runId: "../../etc" }).success).toBe(false);
    expect(Commands.cleanupStaging.payload.safeParse({ runId: "run_1" }).success).toBe(true);
  });
});
