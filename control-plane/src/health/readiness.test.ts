import { HoldfastError } from "@holdfast/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { checkReadiness } from "./readiness.js";

describe.each(DIALECTS)("GET /readyz on %s", (dialect) => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer(dialect, { scheduler: false });
  });
  afterAll(async () => srv?.stop());

  it("answers 200 without a token while the database answers", async () => {
    const res = await srv.api("/readyz");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });

  it("is not ready once the server is stopping", async () => {
    const err = await checkReadiness({ ...srv.ctx, lifecycle: { stopping: true } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HoldfastError);
    expect(err).toMatchObject({ code: "NOT_READY", status: 503, details: { reason: "stopping" } });
  });

  it("answers 503 NOT_READY with the catalog's body when its database is gone, while /healthz stays 200", async () => {
    await srv.ctx.database.close();
    const res = await srv.api("/readyz");
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: Record<string, unknown> };
    expect(body.error).toEqual({ code: "NOT_READY", message: "The control plane's database does not answer", retryable: true, details: { reason: "database" }, requestId: res.headers.get("x-request-id") });
    expect((await srv.api("/healthz")).status).toBe(200);
  });
});
