import { Role } from "@holdfast/shared";
import type { Tables } from "../db/index.js";

/** Who a request acts as: the user and the role it acts with. */
export interface UserView {
  id: string;
  email: string;
  role: Role;
}

/** A user as the API shows it: never a password hash. */
export interface UserRecord extends UserView {
  createdAt: string;
  /** Set while the user is disabled. */
  disabledAt: string | null;
}

export type UserRow = Tables["users"]["$inferSelect"];

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function toUserRecord(row: UserRow): UserRecord {
  return { id: row.id, email: row.email, role: Role.parse(row.role), createdAt: new Date(row.createdAt).toISOString(), disabledAt: iso(row.disabledAt) };
}
