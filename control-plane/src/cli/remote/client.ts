import { ApiError, errorFromResponse, unreachableError } from "@holdfast/shared";
import { type ClientResponse, hc, type parseResponse } from "hono/client";
import type { AppType } from "../../http/app.js";
import { CliError } from "./cli-error.js";
import type { Connection } from "./connection.js";
import { EXIT, exitCodeOfStatus } from "./exit-codes.js";

/** How long an API call may take before the CLI gives up on it (a download has its own idle bound). */
export const CALL_TIMEOUT_MS = 60_000;

/** A fetch that sends the API token and never waits forever; no answer at all becomes status 0. */
export function tokenFetch(conn: Connection, timeoutMs = CALL_TIMEOUT_MS): typeof fetch {
  return async (input, init) => {
    const headers = new Headers(init?.headers);
    headers.set("authorization", `Bearer ${conn.token}`);
    const signal = init?.signal ?? AbortSignal.timeout(timeoutMs);
    try {
      return await fetch(input, { ...init, headers, signal });
    } catch (err) {
      throw unreachableAt(conn.server, err);
    }
  };
}

/** No answer at all, as one line naming the URL tried and why (refused, no such host, timed out). */
export function unreachableAt(server: string, err: unknown): CliError {
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const why = (err as Error)?.name === "TimeoutError" ? "no answer in time" : (cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err));
  const api = unreachableError(err);
  return new CliError(`Cannot reach the control plane at ${server} (${why})`, EXIT.unreachable, null, api.action);
}

/**
 * The REST API, typed from the control plane's routes (the same `AppType` the console uses).
 *
 * @example const { items } = await call(apiFor(conn).agents.$get());
 */
export function apiFor(conn: Connection) {
  return hc<AppType>(conn.server, { fetch: tokenFetch(conn) }).api.v1;
}
export type Api = ReturnType<typeof apiFor>;

/** What a call answers when it succeeds, typed by hc. */
export type Answer<T extends ClientResponse<unknown>> = Awaited<ReturnType<typeof parseResponse<T>>>;

/** A failed call as one CLI line, its exit code from the status. */
export function cliErrorOfApi(error: ApiError, server?: string): CliError {
  const message = error.status === 0 ? `${error.message}${server ? ` (${server})` : ""}` : error.message;
  // A refused token (revoked, expired, unknown) is one line with the CLI's own remedy; the API's
  // action speaks of signing in over HTTP.
  if (error.status === 401 && error.code !== "INVALID_CREDENTIALS") return new CliError(`${message.replace(/\.$/, "")}: run holdfast login, or set HOLDFAST_TOKEN to a valid API token`, EXIT.unreachable, error.code, null);
  return new CliError(message, exitCodeOfStatus(error.status), error.code, error.action);
}

/** The body of a successful call; a failed one throws a CliError with the catalog's message, action and exit code. */
export async function call<T extends ClientResponse<unknown>>(request: T | Promise<T>): Promise<Answer<T>> {
  let res: T;
  try {
    res = await request;
  } catch (err) {
    if (err instanceof ApiError) throw cliErrorOfApi(err);
    throw err;
  }
  if (!res.ok) throw cliErrorOfApi(await errorFromResponse(res as unknown as Response));
  if (res.status === 204) return undefined as Answer<T>;
  return (await res.json()) as Answer<T>;
}
