import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { FLOW_TTL_MS } from "../sso/index.js";
import type { HonoEnv } from "./types.js";

/**
 * The single sign-on flow's cookie: state, nonce and PKCE verifier sealed under the master key, sent
 * back only to the callback's path. SameSite=Lax, not Strict: the callback is a top-level navigation
 * coming from the provider's site, and a Strict cookie would stay behind. Over TLS it is Secure and
 * `__Secure-` named (the `__Host-` prefix would need Path=/).
 */
const NAME = "holdfast_sso_flow";
const PATH = "/api/v1/sso/callback";
const prefixOf = (c: Context<HonoEnv>) => (c.get("client").tls ? ("secure" as const) : undefined);
const attributes = (c: Context<HonoEnv>) => {
  const prefix = prefixOf(c);
  return { httpOnly: true, sameSite: "Lax" as const, secure: prefix !== undefined, path: PATH, ...(prefix ? { prefix } : {}) };
};

export function setFlowCookie(c: Context<HonoEnv>, sealedFlow: string): void {
  setCookie(c, NAME, sealedFlow, { ...attributes(c), maxAge: FLOW_TTL_MS / 1000 });
}

export function readFlowCookie(c: Context<HonoEnv>): string | undefined {
  return getCookie(c, NAME, prefixOf(c)) || undefined;
}

/** A flow is used once: the callback clears it whatever its outcome. */
export function clearFlowCookie(c: Context<HonoEnv>): void {
  deleteCookie(c, NAME, attributes(c));
}
