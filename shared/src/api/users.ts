import { z } from "zod";
import { Id } from "../ids.js";

/** Roles, from seed 004: admin manages users and agents, operator runs and configures backups, viewer reads. */
export const Role = z.enum(["admin", "operator", "viewer"]);
export type Role = z.infer<typeof Role>;

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

export function roleAtLeast(role: Role, needed: Role): boolean {
  return RANK[role] >= RANK[needed];
}

/** The lower of two roles: what an API token may do is the lower of its own role and its user's. */
export function lowerRole(a: Role, b: Role): Role {
  return RANK[a] <= RANK[b] ? a : b;
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

/** A password a person types: long enough to resist guessing offline, short enough to hash. */
export const Password = z.string().min(12, "must be at least 12 characters").max(1024, "must be at most 1024 characters");

/**
 * `POST /api/v1/users`. Without `password`, the control plane generates one and answers it once, for
 * the admin to hand over.
 */
export const CreateUserBody = z.object({ email: Email, role: Role, password: Password.optional() }).strict();
export type CreateUserBody = z.infer<typeof CreateUserBody>;

/** `PATCH /api/v1/users/:id`: a new role, or disabled (`true`) / enabled again (`false`). */
export const UpdateUserBody = z
  .object({ role: Role.optional(), disabled: z.boolean().optional() })
  .strict()
  .refine((b) => b.role !== undefined || b.disabled !== undefined, { message: "send role, disabled or both", path: [] });
export type UpdateUserBody = z.infer<typeof UpdateUserBody>;

/** `POST /api/v1/users/:id/password`: the new password, or none to have one generated and answered once. */
export const SetPasswordBody = z.object({ password: Password.optional() }).strict();
export type SetPasswordBody = z.infer<typeof SetPasswordBody>;

/** What a person calls an API token, to tell it from their others (`ci`, `grafana`, `laptop`). */
export const ApiTokenName = z.string().trim().min(1, "must not be empty").max(100);

/**
 * `POST /api/v1/api-tokens`. `role` caps what the token may do (at most its user's role, which is
 * the default); `userId` makes it for another user, which only an admin may.
 */
export const CreateApiTokenBody = z.object({ name: ApiTokenName, role: Role.optional(), userId: Id.optional() }).strict();
export type CreateApiTokenBody = z.infer<typeof CreateApiTokenBody>;

/** `GET /api/v1/api-tokens`: yours; `?userId=` another user's, `?all=true` everyone's (admin). */
export const ListApiTokensQuery = z
  .object({ userId: Id.optional(), all: z.enum(["true", "false"]).optional() })
  .strict()
  .refine((q) => !(q.userId && q.all === "true"), { message: "send userId or all=true, not both", path: ["all"] });
export type ListApiTokensQuery = z.infer<typeof ListApiTokensQuery>;
