import { lowerRole, Role } from "@holdfast/shared";
import type { Tables } from "../db/index.js";

/** An API token as lists show it: never the secret, only its first characters. */
export interface ApiTokenView {
  id: string;
  name: string;
  userId: string;
  userEmail: string;
  /** The most the token may do; null for a token made before tokens had roles (it acts with its user's). */
  role: Role | null;
  /** What it may do now: the lower of `role` and its user's current role. */
  effectiveRole: Role;
  /** `hf_api_abcd`: enough to recognise a token, nothing to use. Null for a token made before it was kept. */
  prefix: string | null;
  createdAt: string;
  /** To the minute: recorded at most once a minute. */
  lastUsedAt: string | null;
}

type ApiTokenRow = Tables["apiTokens"]["$inferSelect"];

/** What a token may do now: the lower of its own role and its user's current one. A token made before tokens had roles (null) acts with its user's. */
export function effectiveRole(tokenRole: string | null, userRole: Role): Role {
  return lowerRole(tokenRole === null ? userRole : Role.parse(tokenRole), userRole);
}

export function toApiTokenView(row: ApiTokenRow, user: { email: string; role: string }): ApiTokenView {
  const userRole = Role.parse(user.role);
  const role = row.role === null ? null : Role.parse(row.role);
  return {
    id: row.id,
    name: row.name,
    userId: row.userId,
    userEmail: user.email,
    role,
    effectiveRole: effectiveRole(role, userRole),
    prefix: row.tokenPrefix,
    createdAt: new Date(row.createdAt).toISOString(),
    lastUsedAt: row.lastUsedAt === null ? null : new Date(row.lastUsedAt).toISOString(),
  };
}
