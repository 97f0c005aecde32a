import type { CreateApiTokenBody, CreateEnrollmentTokenBody, CreateUserBody } from "@holdfast/shared";
import { hc, type InferRequestType, type InferResponseType } from "hono/client";
import { describe, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import type { ReadyCommand } from "../enrollment/enroll-commands.js";
import type { ApiTokenView } from "../users/api-token-view.js";
import type { UserRecord } from "../users/user-record.js";
import type { AppType } from "./app.js";

// Checked by tsc (vitest's typecheck), never run: what a console built on hc<AppType> sends to and
// gets from the users, API token and enrollment token routes.
const api = hc<AppType>("http://holdfast.invalid").api.v1;

describe("hc<AppType>: users and tokens", () => {
  it("types POST /users: the user in; the record out, with the password only when generated", () => {
    expectTypeOf<InferRequestType<typeof api.users.$post>["json"]>().toEqualTypeOf<z.input<typeof CreateUserBody>>();
    type Created = InferResponseType<typeof api.users.$post, 201>;
    expectTypeOf<Created["password"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Created["disabledAt"]>().toEqualTypeOf<UserRecord["disabledAt"]>();
    // @ts-expect-error no such role
    void api.users.$post({ json: { email: "a@b", role: "root" } });
  });

  it("types POST /api-tokens: the secret once beside the view", () => {
    expectTypeOf<InferRequestType<(typeof api)["api-tokens"]["$post"]>["json"]>().toEqualTypeOf<z.input<typeof CreateApiTokenBody>>();
    type Created = InferResponseType<(typeof api)["api-tokens"]["$post"], 201>;
    expectTypeOf<Created["token"]>().toEqualTypeOf<string>();
    expectTypeOf<Created["effectiveRole"]>().toEqualTypeOf<ApiTokenView["effectiveRole"]>();
    expectTypeOf<Created["prefix"]>().toEqualTypeOf<string | null>();
  });

  it("types POST /enrollment-tokens: the ready commands out", () => {
    expectTypeOf<InferRequestType<(typeof api)["enrollment-tokens"]["$post"]>["json"]>().toEqualTypeOf<z.input<typeof CreateEnrollmentTokenBody>>();
    expectTypeOf<InferResponseType<(typeof api)["enrollment-tokens"]["$post"], 201>["commands"]["enroll"]>().toEqualTypeOf<ReadyCommand>();
  });
});
