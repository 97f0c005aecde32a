import { unreachableError } from "@holdfast/shared";

/** The header a request signed in by the session cookie carries its CSRF token in, when it changes something. */
export const CSRF_HEADER = "X-CSRF-Token";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export interface ConsoleFetchOptions {
  /** The fetch underneath (the browser's by default). */
  fetch?: typeof globalThis.fetch;
  /** The session's CSRF token, once the session told it. */
  csrfToken: () => string | undefined;
  /** Called on a 401: the session ended or never began. */
  onUnauthenticated: () => void;
}

/**
 * The fetch every API call goes through (hc's `fetch` option): same-origin credentials (the session
 * cookie), the CSRF header on a request that changes something, a 401 handed to `onUnauthenticated`
 * (sign in again), and no answer at all turned into an ApiError the pages can show.
 */
export function createConsoleFetch(options: ConsoleFetchOptions): typeof globalThis.fetch {
  const base = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return async (input, init) => {
    const request = input instanceof Request ? input : undefined;
    const method = (init?.method ?? request?.method ?? "GET").toUpperCase();
    const headers = new Headers(init?.headers ?? request?.headers);
    const token = options.csrfToken();
    if (token && !SAFE_METHODS.has(method)) headers.set(CSRF_HEADER, token);
    let res: Response;
    try {
      res = await base(input, { ...init, method, headers, credentials: "same-origin" });
    } catch (err) {
      if (err instanceof DOMException && err.name === "AbortError") throw err;
      throw unreachableError(err);
    }
    if (res.status === 401) options.onUnauthenticated();
    return res;
  };
}
