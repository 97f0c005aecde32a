import { Hono } from "hono";
import { CreateApiTokenBody, CreateUserBody, IdParam, ListApiTokensQuery, SetPasswordBody, UpdateUserBody } from "@holdfast/shared";
import type { AppContext } from "../../context.js";
import { createUser } from "../../users/create-user.js";
import { getUser, listUsers } from "../../users/find-user.js";
import { createApiTokenAs, listApiTokens, revokeApiToken } from "../../users/manage-api-tokens.js";
import { deleteUser, setPassword, updateUser } from "../../users/update-user.js";
import type { UserRecord } from "../../users/user-record.js";
import { jsonBody, params, query } from "../validate.js";
import type { HonoEnv } from "../types.js";

/** A generated password, answered once beside the user; absent when the admin chose it. */
const withPassword = (user: UserRecord, generatedPassword: string | null): UserRecord & { password?: string } =>
  generatedPassword === null ? user : { ...user, password: generatedPassword };

/**
 * Users (admin) and API tokens (each user their own, admins everyone's). Mounted under `/api/v1`,
 * behind its authentication and audit trail; roles in API_ROUTE_ROLES.
 */
export function userRoutes(ctx: AppContext) {
  return new Hono<HonoEnv>()
    .get("/users", async (c) => c.json({ items: await listUsers(ctx) }))
    .post("/users", jsonBody(CreateUserBody, "user"), async (c) => {
      const { user, generatedPassword } = await createUser(ctx, c.req.valid("json"));
      return c.json(withPassword(user, generatedPassword), 201);
    })
    .get("/users/:id", params(IdParam), async (c) => c.json(await getUser(ctx, c.req.valid("param").id)))
    .patch("/users/:id", params(IdParam), jsonBody(UpdateUserBody, "user update"), async (c) => c.json(await updateUser(ctx, c.req.valid("param").id, c.req.valid("json"))))
    .delete("/users/:id", params(IdParam), async (c) => {
      await deleteUser(ctx, c.req.valid("param").id);
      return c.body(null, 204);
    })
    .post("/users/:id/password", params(IdParam), jsonBody(SetPasswordBody, "password change"), async (c) => {
      const { user, generatedPassword } = await setPassword(ctx, c.req.valid("param").id, c.req.valid("json"));
      return c.json(withPassword(user, generatedPassword));
    })
    .get("/api-tokens", query(ListApiTokensQuery), async (c) => c.json({ items: await listApiTokens(ctx, c.get("user"), c.req.valid("query")) }))
    .post("/api-tokens", jsonBody(CreateApiTokenBody, "API token"), async (c) => c.json(await createApiTokenAs(ctx, c.get("user"), c.req.valid("json")), 201))
    .delete("/api-tokens/:id", params(IdParam), async (c) => {
      await revokeApiToken(ctx, c.get("user"), c.req.valid("param").id);
      return c.body(null, 204);
    });
}
