/** Where the sign-in page is; a page that lost its session sends the viewer there and back. */
export const SIGN_IN_PATH = "/sign-in";

/**
 * A page to return to after signing in, kept only if it is a path of this console: `//evil.example`
 * or `https://…` would send a viewer who just typed a password to another site.
 */
export function safeRedirect(target: string | undefined | null): string {
  if (!target || !target.startsWith("/") || target.startsWith("//") || target.startsWith("/\\")) return "/";
  if (target === SIGN_IN_PATH || target.startsWith(`${SIGN_IN_PATH}?`)) return "/";
  return target;
}

/** The sign-in URL that brings the viewer back to `current` (path and query; a fragment may hold a secret, so it stays behind). */
export function signInUrl(current: { pathname: string; search: string }): string {
  const back = safeRedirect(current.pathname + current.search);
  return back === "/" ? SIGN_IN_PATH : `${SIGN_IN_PATH}?redirect=${encodeURIComponent(back)}`;
}

/** Leaves for the sign-in page, once, remembering the page; a full load, so nothing of the old session stays in memory. */
export function goToSignIn(location: Pick<Location, "pathname" | "search" | "assign"> = window.location): void {
  if (location.pathname === SIGN_IN_PATH) return;
  location.assign(signInUrl(location));
}
