import { z } from "zod";

/** Roles, from seed 004: admin manages users and agents, operator runs and configures backups, viewer reads. */
export const Role = z.enum(["admin", "operator", "viewer"]);
export type Role = z.infer<typeof Role>;

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function roleAtLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/**
 * A login name shaped like an e-mail address. Hosts without a dot are accepted on purpose: the
 * quick start's first user is `admin@localhost`, and intranet mail names look the same.
 */
export const Email = z
  .string()
  .trim()
  .max(320)
  .regex(/^[^\s@]+@[^\s@]+$/, "must be an e-mail address such as admin@example.com")
  .transform((e) => e.toLowerCase());
