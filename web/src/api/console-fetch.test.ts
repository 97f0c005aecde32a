import { describe, expect, it } from "vitest";
import { ApiError } from "@holdfast/shared";
import { CSRF_HEADER, createConsoleFetch } from "./console-fetch.js";

/** A fetch that records what it was asked and answers `status`. */
function recorder(status = 200) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push({ url: String(input), init: init ?? {} });
    return new Response("{}", { status });
  };
  return { calls, fetch: fetch as typeof globalThis.fetch };
}

describe("createConsoleFetch", () => {
  it("sends the session cookie and, on a change, the CSRF token the session gave", async () => {
    const { calls, fetch } = recorder();
    let unauthenticated = 0;
    const consoleFetch = createConsoleFetch({ fetch, csrfToken: () => "csrf-1", onUnauthenticated: () => unauthenticated++ });
    await consoleFetch("/api/v1/agents");
    await consoleFetch("/api/v1/agents/agt_1/revoke", { method: "post" });
    expect(calls.map((c) => c.init.credentials)).toEqual(["same-origin", "same-origin"]);
    expect(new Headers(calls[0]!.init.headers).has(CSRF_HEADER)).toBe(false);
    expect(new Headers(calls[1]!.init.headers).get(CSRF_HEADER)).toBe("csrf-1");
    expect(unauthenticated).toBe(0);
  });

  it("sends no CSRF header before a session gave one", async () => {
    const { calls, fetch } = recorder();
    await createConsoleFetch({ fetch, csrfToken: () => undefined, onUnauthenticated: () => {} })("/api/v1/x", { method: "DELETE" });
    expect(new Headers(calls[0]!.init.headers).has(CSRF_HEADER)).toBe(false);
  });

  it("hands a 401 to onUnauthenticated and still returns the answer", async () => {
    const { fetch } = recorder(401);
    let unauthenticated = 0;
    const res = await createConsoleFetch({ fetch, csrfToken: () => undefined, onUnauthenticated: () => unauthenticated++ })("/api/v1/agents");
    expect(res.status).toBe(401);
    expect(unauthenticated).toBe(1);
  });

  it("turns no answer at all into an ApiError the page can show", async () => {
    const fetch = (async () => {
      throw new TypeError("Failed to fetch");
    }) as typeof globalThis.fetch;
    const call = createConsoleFetch({ fetch, csrfToken: () => undefined, onUnauthenticated: () => {} })("/api/v1/agents");
    await expect(call).rejects.toBeInstanceOf(ApiError);
    await expect(call).rejects.toMatchObject({ status: 0, retryable: true, message: "The control plane could not be reached." });
  });
});
