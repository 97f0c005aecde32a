import { z } from "zod";
import { Email, Password, type Role } from "./users.js";

/**
 * Signing in: a browser session in an httpOnly cookie, its CSRF token, and the one-time setup of the
 * first admin. Rules and reasons: docs/decisions.md ("Sessions and CSRF", "Sign-in lock-out",
 * "First admin").
 */

/** The header a request signed in by the session cookie sends its CSRF token in, when it changes something. */
export const CSRF_HEADER = "X-CSRF-Token";

/** `POST /api/v1/session`. Any password up to the bound is checked: the rules of new passwords may have changed since. */
export const SignInBody = z
  .object({
    email: Email,
    password: z.string().min(1, "is required").max(1024, "must be at most 1024 characters"),
  })
  .strict();
export type SignInBody = z.infer<typeof SignInBody>;

/** `POST /api/v1/setup`: the token of the setup URL (its `#token=…`), and the first admin's e-mail and password. */
export const SetupBody = z
  .object({
    token: z.string({ error: "is required: the token of the setup URL that `holdfast serve` printed (…/setup#token=…)" }).min(1).max(200),
    email: Email,
    password: Password,
  })
  .strict();
export type SetupBody = z.infer<typeof SetupBody>;

export interface SignedInUser {
  id: string;
  email: string;
  role: Role;
}

/**
 * `GET /api/v1/session` (and the answer of `POST`): who is signed in. A cookie session carries what a
 * console needs: the CSRF token to send back in `X-CSRF-Token`, and when the session ends if left
 * idle (`expiresAt`, moved on by use) and at the latest (`maxExpiresAt`, fixed at sign-in).
 */
export type SessionView =
  | { signedIn: false }
  | { signedIn: true; via: "token"; user: SignedInUser }
  | { signedIn: true; via: "session"; user: SignedInUser; csrfToken: string; expiresAt: string; maxExpiresAt: string };

/** `GET /api/v1/setup`: whether the first admin is still to be created. */
export interface SetupStatus {
  needed: boolean;
}
