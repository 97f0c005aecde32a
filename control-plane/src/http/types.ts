import type { HttpBindings } from "@hono/node-server";
import type { Logger } from "../logger.js";
import type { ClientInfo } from "./client-address.js";
import type { UserView } from "../users/create-user.js";

/** What hono carries per request: the request id and its logger, the authenticated user, who sent it (address, TLS), node's raw request. */
export type HonoEnv = {
  // Absent under `app.request()` in tests; present when served by @hono/node-server.
  Bindings: Partial<HttpBindings>;
  Variables: { requestId: string; user: UserView; log: Logger; client: ClientInfo };
};
