import { describe, expect, it } from "vitest";
import { AUDIT_ACTIONS, AuditSearch, auditQueryFor } from "./audit-search.js";

describe("the audit page's URL filters", () => {
  it("drops what the API would refuse (an old link, a typo) and keeps the rest", () => {
    expect(AuditSearch.parse({ actor: "ops@example.test", object: "dst a'1", from: "yesterday", action: "session.signIn" })).toEqual({
      actor: "ops@example.test",
      action: "session.signIn",
      object: undefined,
      from: undefined,
      to: undefined,
    });
  });

  it("asks the API for whole days in the viewer's zone, a backwards range read the right way round", () => {
    const q = auditQueryFor({ actor: "usr_1", from: "2026-12-07", to: "2026-12-05" });
    expect(q).toEqual({ actor: "usr_1", from: new Date(2026, 11, 5).toISOString(), to: new Date(2026, 11, 8).toISOString() });
    expect(auditQueryFor({})).toEqual({});
  });

  it("offers the domain actions and every mutating API route, and no read", () => {
    expect(AUDIT_ACTIONS).toEqual(expect.arrayContaining(["session.signIn", "artifact.download", "PATCH /destinations/:id"]));
    expect(AUDIT_ACTIONS.some((a) => a.startsWith("GET "))).toBe(false);
  });
});
