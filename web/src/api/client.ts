import type { AppType } from "@holdfast/control-plane";
import { type ClientResponse, hc, type parseResponse } from "hono/client";
import { csrfToken } from "../session/csrf.js";
import { goToSignIn } from "../session/redirect.js";
import { errorFromResponse } from "@holdfast/shared";
import { createConsoleFetch } from "./console-fetch.js";

/** The fetch under every API call of the console. */
export const consoleFetch = createConsoleFetch({ csrfToken: csrfToken.get, onUnauthenticated: () => goToSignIn() });

/**
 * The REST API, typed from the control plane's routes (only the *type* crosses over: the build fails
 * if any server module reaches the bundle, scripts/server-code-guard.ts).
 *
 * @example const { items } = await unwrap(api.agents.$get());
 */
export const api = hc<AppType>(window.location.origin, { fetch: consoleFetch }).api.v1;

/** What a call answers when it succeeds, typed by hc. */
export type Answer<T extends ClientResponse<unknown>> = Awaited<ReturnType<typeof parseResponse<T>>>;

/** The body of a successful call, or an ApiError carrying the catalog's message and action. */
export async function unwrap<T extends ClientResponse<unknown>>(call: T | Promise<T>): Promise<Answer<T>> {
  const res = await call;
  if (!res.ok) throw await errorFromResponse(res as unknown as Response);
  if (res.status === 204) return undefined as Answer<T>;
  return (await res.json()) as Answer<T>;
}
