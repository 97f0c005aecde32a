import type { Context, MiddlewareHandler } from "hono";
import type { AppContext } from "../context.js";
import { type BucketLimit, takeToken } from "../rate-limits/index.js";
import type { HonoEnv } from "./types.js";

/**
 * 429 RATE_LIMITED with `Retry-After` once the bucket `keyOf` names is empty; a request `keyOf`
 * gives no key is not limited here. The bucket itself: rate-limits/ (in the database, so restarts and
 * replicas share it). Limits: `HOLDFAST_RATE_*` (env.ts).
 */
export function rateLimit(ctx: AppContext, limit: BucketLimit, what: string, keyOf: (c: Context<HonoEnv>) => string | undefined): MiddlewareHandler<HonoEnv> {
  return async (c, next) => {
    const key = keyOf(c);
    if (key !== undefined) await takeToken(ctx, key, limit, what);
    await next();
  };
}

/** Per client address (from client-address.ts: the socket's peer unless a trusted proxy said otherwise). */
export const byAddress = (prefix: string) => (c: Context<HonoEnv>) => `${prefix}:${c.get("client").address}`;

/** Per API token, after `authenticate`; session requests are limited by address only. */
export const byApiToken = (c: Context<HonoEnv>) => {
  const credential = c.get("user")?.credential;
  return credential?.kind === "api-token" ? `api-token:${credential.id}` : undefined;
};
