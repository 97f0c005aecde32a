import { ERROR_CATALOG } from "../errors.js";
import { describe, expect, it } from "vitest";
import { errorFromResponse } from "./api-error.js";

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(typeof body === "string" ? body : JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

describe("errorFromResponse", () => {
  it("keeps the server's message and adds the catalog's action for the code", async () => {
    const error = await errorFromResponse(
      answer(409, { error: { code: "BACKUP_ALREADY_RUNNING", message: "A backup of shop is running", retryable: true, details: { runId: "run_1" }, requestId: "req_9" } }),
    );
    expect(error).toMatchObject({ status: 409, code: "BACKUP_ALREADY_RUNNING", message: "A backup of shop is running", retryable: true, requestId: "req_9", details: { runId: "run_1" } });
    expect(error.action).toBe(ERROR_CATALOG.BACKUP_ALREADY_RUNNING.action);
  });

  it("lists a validation failure's issues for the form's fields", async () => {
    const issues = [{ path: "config.path", message: "must be an absolute path" }];
    const error = await errorFromResponse(answer(400, { error: { code: "VALIDATION_FAILED", message: "Invalid destination", retryable: false, details: { issues }, requestId: "r" } }));
    expect(error.fieldIssues).toEqual(issues);
  });

  it("shows a code newer than this client with its message and says to update", async () => {
    const error = await errorFromResponse(answer(422, { error: { code: "SOMETHING_NEW", message: "A new refusal", retryable: false, requestId: "r" } }));
    expect(error).toMatchObject({ code: null, message: "A new refusal", status: 422, retryable: false });
    expect(error.action).toMatch(/newer than this client/);
  });

  it("reads a proxy's HTML error page as the control plane not answering, retryable, with the request id header", async () => {
    const error = await errorFromResponse(new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway", headers: { "x-request-id": "req_p" } }));
    expect(error).toMatchObject({ code: null, status: 502, retryable: true, requestId: "req_p" });
    expect(error.message).toBe("The server answered 502 Bad Gateway without an error Holdfast could read.");
    expect(error.action).toMatch(/control plane is running/);
  });
});
