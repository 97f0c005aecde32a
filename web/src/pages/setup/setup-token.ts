let taken: string | undefined;

/**
 * The setup link's token (`/setup#token=…`), read once and then taken out of the address bar and
 * the history, so it is neither bookmarked nor shown over a shoulder. Read once per load: React
 * renders twice in development, and the second render finds the fragment gone.
 */
export function takeSetupToken(location: Pick<Location, "hash" | "pathname" | "search"> = window.location): string {
  if (taken !== undefined) return taken;
  taken = new URLSearchParams(location.hash.slice(1)).get("token") ?? "";
  if (location.hash) window.history.replaceState(window.history.state, "", location.pathname + location.search);
  return taken;
}
