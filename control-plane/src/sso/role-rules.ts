import type { Role, SsoRoleRule } from "@holdfast/shared";

/**
 * The role the first matching rule gives, or undefined when none matches. A rule matches when the
 * claim equals its value, or is a list holding it (`groups`); a number or boolean claim is compared
 * as its text. Objects never match: a rule names a value, not a structure.
 */
export function roleForClaims(rules: readonly SsoRoleRule[], claims: Record<string, unknown>): Role | undefined {
  const holds = (claim: unknown, value: string): boolean => {
    if (Array.isArray(claim)) return claim.some((c) => holds(c, value));
    if (typeof claim === "string") return claim === value;
    if (typeof claim === "number" || typeof claim === "boolean") return String(claim) === value;
    return false;
  };
  return rules.find((rule) => Object.hasOwn(claims, rule.claim) && holds(claims[rule.claim], rule.value))?.role;
}
