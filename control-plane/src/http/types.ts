import type { HttpBindings } from "@hono/node-server";
import type { ErrorCode } from "@holdfast/shared";
import type { Logger } from "../logger.js";
import type { SessionTimes } from "../sessions/resolve-session.js";
import type { ClientInfo } from "./client-address.js";
import type { AuthenticatedUser } from "../users/authenticated-user.js";

/** How the request proved who it is: an API token, or the session cookie (its value and times). */
export type Credentials = { via: "token" } | { via: "session"; token: string; session: SessionTimes & { id: string } };

/** What hono carries per request: the request id and its logger, the authenticated user, who sent it (address, TLS), node's raw request. */
export type HonoEnv = {
  // Absent under `app.request()` in tests; present when served by @hono/node-server.
  Bindings: Partial<HttpBindings>;
  Variables: {
    requestId: string;
    /** Set by `authenticate` on every route but an open one called without credentials. */
    user: AuthenticatedUser;
    /** Unset where `user` is. */
    credentials: Credentials | undefined;
    log: Logger;
    client: ClientInfo;
    /** The catalog code the request was refused with, for its access line. */
    errorCode: ErrorCode | undefined;
  };
};
