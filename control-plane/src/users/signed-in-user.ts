import { type HoldfastError, Role } from "@holdfast/shared";
import type { UserView } from "./create-user.js";

/** A user row as the credential lookups read it (joined from api_tokens, sessions, or by e-mail). */
export interface UserRow {
  id: string;
  email: string;
  role: string;
}

/**
 * The one gate every credential passes, an API token, a session or a password: the user row it led
 * to becomes the request's user here, or `refusal` is thrown. An account that may no longer sign in
 * (disabled) is to be refused here and nowhere else, so no path can forget it.
 */
export function signedInUser(row: UserRow | undefined, refusal: HoldfastError): UserView {
  if (!row) throw refusal;
  return { id: row.id, email: row.email, role: Role.parse(row.role) };
}
