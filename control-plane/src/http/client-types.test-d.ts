import type { CreateScheduleBody, ListRunsQuery, SessionView, SetupBody, SignInBody, StartBackupBody, UpdateDatasourceBody } from "@holdfast/shared";
import { hc, type InferRequestType, type InferResponseType } from "hono/client";
import { describe, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import type { DeletedArtifact } from "../artifacts/delete-artifact.js";
import type { UpdatedDatasource } from "../datasources/update-datasource.js";
import type { RunPage } from "../runs/list-runs.js";
import type { ScheduleView } from "../schedules/schedule-rows.js";
import type { AppType } from "./app.js";

// Checked by tsc (vitest's typecheck), never run: what a console or CLI built on hc<AppType> may send
// and gets back. A route that reads its body or query untyped fails here.
const api = hc<AppType>("http://holdfast.invalid").api.v1;

describe("hc<AppType>", () => {
  it("types POST /datasources/:id/backups: the backup request in, the run id out", () => {
    type Request = InferRequestType<(typeof api.datasources)[":id"]["backups"]["$post"]>;
    expectTypeOf<Request["json"]>().toEqualTypeOf<z.input<typeof StartBackupBody>>();
    expectTypeOf<Request["param"]>().toEqualTypeOf<{ id: string }>();
    expectTypeOf<InferResponseType<(typeof api.datasources)[":id"]["backups"]["$post"], 202>>().toEqualTypeOf<{ runId: string }>();
    // @ts-expect-error destinationIds is a list, not one id
    void api.datasources[":id"].backups.$post({ param: { id: "ds_1" }, json: { destinationIds: "dst_1" } });
  });

  it("types POST /schedules: the schedule in, its view out", () => {
    type Request = InferRequestType<typeof api.schedules.$post>;
    expectTypeOf<Request["json"]>().toEqualTypeOf<z.input<typeof CreateScheduleBody>>();
    expectTypeOf<InferResponseType<typeof api.schedules.$post, 201>>().toEqualTypeOf<ScheduleView>();
    // @ts-expect-error a schedule needs its cron
    void api.schedules.$post({ json: { datasourceId: "ds_1", timezone: "UTC", destinationIds: ["dst_1"] } });
  });

  it("types GET /runs: the filters as query strings, the page out", () => {
    type Query = InferRequestType<typeof api.runs.$get>["query"];
    expectTypeOf<Query["state"]>().toEqualTypeOf<ListRunsQuery["state"]>();
    expectTypeOf<Query["datasourceId"]>().toEqualTypeOf<string | undefined>();
    expectTypeOf<Query["limit"]>().toEqualTypeOf<string | string[] | undefined>();
    expectTypeOf<InferResponseType<typeof api.runs.$get, 200>["nextCursor"]>().toEqualTypeOf<RunPage["nextCursor"]>();
    // @ts-expect-error no such run state
    void api.runs.$get({ query: { state: "exploded" } });
  });

  it("types the session and the setup: e-mail and password in, who is signed in (and the CSRF token) out", () => {
    expectTypeOf<InferRequestType<typeof api.session.$post>["json"]>().toEqualTypeOf<z.input<typeof SignInBody>>();
    expectTypeOf<InferResponseType<typeof api.session.$post, 201>>().toEqualTypeOf<SessionView>();
    expectTypeOf<InferResponseType<typeof api.session.$get, 200>>().toEqualTypeOf<SessionView>();
    expectTypeOf<InferRequestType<typeof api.setup.$post>["json"]>().toEqualTypeOf<z.input<typeof SetupBody>>();
    expectTypeOf<InferResponseType<typeof api.setup.$get, 200>>().toEqualTypeOf<{ needed: boolean }>();
    // @ts-expect-error a sign-in needs its password
    void api.session.$post({ json: { email: "a@example.com" } });
  });

  it("types PATCH /datasources/:id and DELETE /runs/:runId/artifact: the change in, what was saved or deleted out", () => {
    type Patch = InferRequestType<(typeof api.datasources)[":id"]["$patch"]>;
    expectTypeOf<Patch["json"]>().toEqualTypeOf<z.input<typeof UpdateDatasourceBody>>();
    expectTypeOf<InferResponseType<(typeof api.datasources)[":id"]["$patch"], 200>>().toEqualTypeOf<UpdatedDatasource>();
    // @ts-expect-error tags are a list
    void api.datasources[":id"].$patch({ param: { id: "ds_1" }, json: { tags: "prod" } });
    type Delete = InferRequestType<(typeof api.runs)[":runId"]["artifact"]["$delete"]>;
    expectTypeOf<Delete["query"]["force"]>().toEqualTypeOf<"true" | "false" | undefined>();
    expectTypeOf<InferResponseType<(typeof api.runs)[":runId"]["artifact"]["$delete"], 200>>().toEqualTypeOf<DeletedArtifact>();
  });
});
