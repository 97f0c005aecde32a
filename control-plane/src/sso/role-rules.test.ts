import { describe, expect, it } from "vitest";
import { roleForClaims } from "./role-rules.js";

const rules = [
  { claim: "groups", value: "backup-admins", role: "admin" as const },
  { claim: "groups", value: "dba", role: "operator" as const },
  { claim: "email_verified", value: "true", role: "viewer" as const },
];

describe("claim-to-role rules", () => {
  it("gives the role of the first rule whose claim holds the value", () => {
    expect(roleForClaims(rules, { groups: ["dba", "backup-admins"] })).toBe("admin");
    expect(roleForClaims(rules, { groups: ["dba"] })).toBe("operator");
    expect(roleForClaims(rules, { groups: "dba" })).toBe("operator");
    expect(roleForClaims(rules, { groups: [], email_verified: true })).toBe("viewer");
  });

  it("matches nothing for a missing claim, another value, a prefix or an object", () => {
    expect(roleForClaims(rules, {})).toBeUndefined();
    expect(roleForClaims(rules, { groups: ["dba-readonly", "backup"] })).toBeUndefined();
    expect(roleForClaims(rules, { groups: { dba: true } })).toBeUndefined();
    expect(roleForClaims(rules, { email_verified: false })).toBeUndefined();
  });
});
