import { Hono } from "hono";
import { HoldfastError, SSO_ERROR_PARAM, SsoSettingsBody, SsoStartQuery } from "@holdfast/shared";
import type { AppContext } from "../../context.js";
import { endSession } from "../../sessions/index.js";
import { finishSsoSignIn, getSsoSettingsView, saveSsoSettings, ssoStatus, startSsoSignIn } from "../../sso/index.js";
import { scoped } from "../middleware.js";
import { requestOrigin } from "../request-origin.js";
import { readSessionCookie, setSessionCookie } from "../session-cookie.js";
import { clearFlowCookie, readFlowCookie, setFlowCookie } from "../sso-flow-cookie.js";
import type { HonoEnv } from "../types.js";
import { jsonBody, query } from "../validate.js";

const CALLBACK = "/api/v1/sso/callback";

/**
 * Single sign-on. Start and callback are browser navigations, not API calls: each answers a
 * redirect, and a refusal lands on the console's sign-in page with the catalog code in `ssoError`
 * (it says what to do; the details are in the log and the audit record).
 */
export function ssoRoutes(ctx: AppContext) {
  const toSignIn = (code: string) => `/sign-in?${new URLSearchParams({ [SSO_ERROR_PARAM]: code })}`;
  const codeOf = (err: unknown) => {
    if (err instanceof HoldfastError) return err.code;
    throw err;
  };
  return new Hono<HonoEnv>()
    .get("/sso", async (c) => c.json(await ssoStatus(ctx)))
    .get("/sso/settings", async (c) => c.json(await getSsoSettingsView(ctx, requestOrigin(c) + CALLBACK)))
    .put("/sso/settings", jsonBody(SsoSettingsBody, "single sign-on settings"), async (c) => c.json(await saveSsoSettings(ctx, c.req.valid("json"), requestOrigin(c) + CALLBACK)))
    .get("/sso/start", query(SsoStartQuery), async (c) => {
      try {
        const { url, sealedFlow } = await startSsoSignIn(scoped(ctx, c), requestOrigin(c) + CALLBACK, c.req.valid("query").returnTo);
        setFlowCookie(c, sealedFlow);
        return c.redirect(url.href, 302);
      } catch (err) {
        c.get("log").warn({ code: codeOf(err), reason: (err as HoldfastError).message }, "single sign-on not started");
        return c.redirect(toSignIn(codeOf(err)), 302);
      }
    })
    .get("/sso/callback", async (c) => {
      // The URL the provider redirected to, on this control plane's origin as the browser reached it.
      const callbackUrl = new URL(c.req.url);
      const current = new URL(requestOrigin(c) + CALLBACK + callbackUrl.search);
      const sealedFlow = readFlowCookie(c);
      clearFlowCookie(c);
      try {
        const { token, returnTo } = await finishSsoSignIn(scoped(ctx, c), current, sealedFlow, { address: c.get("client").address, requestId: c.get("requestId") });
        const previous = readSessionCookie(c);
        if (previous) await endSession(ctx, previous);
        setSessionCookie(c, token, ctx.env.sessionMaxMs);
        // setSessionCookie replaces every Set-Cookie: the flow's clearing goes out again beside it.
        clearFlowCookie(c);
        return c.redirect(returnTo, 302);
      } catch (err) {
        c.get("log").warn({ code: codeOf(err), reason: (err as HoldfastError).message }, "single sign-on refused");
        return c.redirect(toSignIn(codeOf(err)), 302);
      }
    });
}
