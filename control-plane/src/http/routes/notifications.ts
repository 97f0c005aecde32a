import { Hono } from "hono";
import { CreateNotificationChannelBody, IdParam, ListNotificationSendsQuery, UpdateNotificationChannelBody } from "@holdfast/shared";
import type { AppContext } from "../../context.js";
import { createChannel, deleteChannel, getChannel, listAlerts, listChannels, listSends, testChannel, updateChannel } from "../../notifications/index.js";
import { jsonBody, params, query } from "../validate.js";
import type { HonoEnv } from "../types.js";

/** `/api/v1/notification-channels…` the sends' record and the alerts, mounted by `apiRoutes`; roles in API_ROUTE_ROLES (admins change). */
export function notificationRoutes(ctx: AppContext) {
  return new Hono<HonoEnv>()
    .get("/notification-channels", async (c) => c.json({ items: await listChannels(ctx) }))
    .post("/notification-channels", jsonBody(CreateNotificationChannelBody, "notification channel"), async (c) => c.json(await createChannel(ctx, c.req.valid("json")), 201))
    .get("/notification-channels/:id", params(IdParam), async (c) => c.json(await getChannel(ctx, c.req.valid("param").id)))
    .patch("/notification-channels/:id", params(IdParam), jsonBody(UpdateNotificationChannelBody, "notification channel update"), async (c) =>
      c.json(await updateChannel(ctx, c.req.valid("param").id, c.req.valid("json"))),
    )
    .delete("/notification-channels/:id", params(IdParam), async (c) => {
      await deleteChannel(ctx, c.req.valid("param").id);
      return c.body(null, 204);
    })
    .post("/notification-channels/:id/test", params(IdParam), async (c) => c.json(await testChannel(ctx, c.req.valid("param").id)))
    .get("/notification-sends", query(ListNotificationSendsQuery), async (c) => c.json({ items: await listSends(ctx, c.req.valid("query")) }))
    .get("/alerts", async (c) => c.json(await listAlerts(ctx)));
}
