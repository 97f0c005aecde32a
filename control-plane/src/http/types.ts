import type { HttpBindings } from "@hono/node-server";
import type { Logger } from "../logger.js";
import type { ClientInfo } from "./client-address.js";
import type { AuthenticatedUser } from "../users/authenticated-user.js";

/** What hono carries per request: the request id and its logger, the authenticated user (and the credential it came with), who sent it (address, TLS), node's raw request. */
export type HonoEnv = {
  // Absent under `app.request()` in tests; present when served by @hono/node-server.
  Bindings: Partial<HttpBindings>;
  Variables: { requestId: string; user: AuthenticatedUser; log: Logger; client: ClientInfo };
};
