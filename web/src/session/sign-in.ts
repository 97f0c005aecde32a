import { Email, Role } from "@holdfast/shared";
import { z } from "zod";
import { errorFromResponse } from "@holdfast/shared";
import { createConsoleFetch } from "../api/console-fetch.js";
import type { SignedInUser } from "./viewer.js";

/**
 * What the sign-in form sends (`POST /api/v1/session`): the e-mail as every account's is checked,
 * any non-empty password up to the server's bound.
 */
export const SignInFields = z.object({
  email: Email,
  password: z.string().min(1, "is required").max(1024, "must be at most 1024 characters"),
});
export type SignInFields = z.input<typeof SignInFields>;

/** The part of the session answer the console keeps: who signed in, and the CSRF token for changes. */
const SignedIn = z.object({
  signedIn: z.literal(true),
  user: z.object({ id: z.string(), email: z.string(), role: Role }),
  csrfToken: z.string().optional(),
});

// A wrong password answers 401: it is shown on the form, not a reason to leave for the sign-in page.
const signInFetch = createConsoleFetch({ csrfToken: () => undefined, onUnauthenticated: () => {} });

/**
 * Signs in: the control plane sets the httpOnly session cookie and answers who signed in and the
 * session's CSRF token. Throws the ApiError of a refusal (a wrong password, a locked account).
 */
export async function signIn(fields: z.output<typeof SignInFields>): Promise<{ user: SignedInUser; csrfToken: string | undefined }> {
  const res = await signInFetch("/api/v1/session", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(fields) });
  if (!res.ok) throw await errorFromResponse(res);
  const answer = SignedIn.parse(await res.json());
  return { user: answer.user, csrfToken: answer.csrfToken };
}
