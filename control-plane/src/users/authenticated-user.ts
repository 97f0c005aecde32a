import { HoldfastError } from "@holdfast/shared";
import type { UserView } from "./user-record.js";

/** What a request was authenticated with: an API token (by id), or a signed-in session. */
export type Credential = { kind: "api-token"; id: string } | { kind: "session"; id: string };

/** The user a request acts as, with the role it acts with (an API token's may be lower than its user's). */
export interface AuthenticatedUser extends UserView {
  credential: Credential;
}

/**
 * The one check every way of authenticating makes on the user it resolved, before it lets the
 * request act: a disabled user is refused at once, whatever credential they hold.
 */
export function assertUserActive(user: { email: string; disabledAt: number | null }): void {
  if (user.disabledAt !== null) throw new HoldfastError("USER_DISABLED", `The account ${user.email} is disabled; an admin can enable it again`);
}
