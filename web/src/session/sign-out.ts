import { api, unwrap } from "../api/client.js";
import { csrfToken } from "./csrf.js";
import { SIGN_IN_PATH } from "./redirect.js";

/** Ends the session on the server (its cookie is cleared), then reloads on the sign-in page so nothing of it stays in memory. */
export async function signOut(): Promise<void> {
  await unwrap(api.session.$delete());
  csrfToken.set(undefined);
  window.location.assign(SIGN_IN_PATH);
}
