import { type HoldfastError, Role } from "@holdfast/shared";
import { metrics } from "../metrics/process-series.js";
import { assertUserActive, type AuthenticatedUser, type Credential } from "./authenticated-user.js";

/** A user row as the credential lookups read it (joined from api_tokens, sessions, or by e-mail). */
export interface UserRow {
  id: string;
  email: string;
  role: string;
  disabledAt: number | null;
}

/**
 * The one gate every credential passes, an API token, a session or a password: the user row it led
 * to becomes the request's user here, or `refusal` is thrown; a disabled account is refused here
 * (USER_DISABLED), so no path can forget it.
 */
export function signedInUser(row: UserRow | undefined, refusal: HoldfastError, credential: Credential, role?: Role): AuthenticatedUser {
  if (!row || row.disabledAt !== null) metrics.refusedAuthentications.inc({ credential: credential.kind, code: row ? "USER_DISABLED" : refusal.code });
  if (!row) throw refusal;
  assertUserActive(row);
  return { id: row.id, email: row.email, role: role ?? Role.parse(row.role), credential };
}
