import { ApiError } from "@holdfast/shared";
import { describe, expect, it } from "vitest";
import { cliErrorOfApi, unreachableAt } from "./client.js";
import { EXIT, exitCodeOfStatus } from "./exit-codes.js";

describe("exit codes", () => {
  it.each([
    [0, EXIT.unreachable],
    [401, EXIT.unreachable],
    [403, EXIT.unreachable],
    [404, EXIT.notFound],
    [409, EXIT.conflict],
    [400, EXIT.usage],
    [422, EXIT.failed],
    [500, EXIT.failed],
    [503, EXIT.failed],
  ])("status %i exits %i", (status, code) => {
    expect(exitCodeOfStatus(status)).toBe(code);
  });

  it("keeps the catalog's code and action of a refusal", () => {
    const err = cliErrorOfApi(new ApiError({ status: 409, code: "ALREADY_EXISTS", message: "Agent a already has a datasource named shop", retryable: false, action: "Pick another name." }));
    expect(err).toMatchObject({ exitCode: EXIT.conflict, code: "ALREADY_EXISTS", message: "Agent a already has a datasource named shop", action: "Pick another name." });
  });

  it("names the URL it could not reach and why", () => {
    const cause = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" });
    const err = unreachableAt("http://127.0.0.1:9", Object.assign(new TypeError("fetch failed"), { cause }));
    expect(err).toMatchObject({ exitCode: EXIT.unreachable, message: "Cannot reach the control plane at http://127.0.0.1:9 (ECONNREFUSED)" });
  });
});

describe("a refused token", () => {
  it("is one line with the CLI's remedy, exit 5; a wrong password at login keeps its own message", () => {
    const revoked = cliErrorOfApi(new ApiError({ status: 401, code: "UNAUTHENTICATED", message: "The API token was revoked.", retryable: false, action: "Send a valid bearer token…" }));
    expect(revoked).toMatchObject({ exitCode: EXIT.unreachable, message: "The API token was revoked: run holdfast login, or set HOLDFAST_TOKEN to a valid API token", action: null });
    const wrong = cliErrorOfApi(new ApiError({ status: 401, code: "INVALID_CREDENTIALS", message: "Wrong e-mail or password", retryable: false, action: "Check the e-mail and the password." }));
    expect(wrong).toMatchObject({ exitCode: EXIT.unreachable, message: "Wrong e-mail or password" });
  });
});
