import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../testing/browser.js";
import { DIALECTS } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { createUser } from "../users/create-user.js";

// The settings and the refusals that need no provider, on both databases. The flow through a real
// OpenID provider over TLS is tests/e2e/sso.test.ts (a control plane process trusting the test's CA).

const PASSWORD = "a long enough password";
const SECRET = "client-secret-that-must-stay-sealed";
const settings = (over: Record<string, unknown> = {}) => ({
  enabled: true,
  displayName: "Company ID",
  // Nothing listens there: discovery fails fast.
  issuerUrl: "https://127.0.0.1:9/realms/ops",
  clientId: "holdfast",
  roleRules: [{ claim: "groups", value: "dba", role: "operator" }],
  passwordSignIn: "everyone",
  breakGlassEmail: null,
  ...over,
});

describe.each(DIALECTS)("single sign-on settings on %s", (dialect) => {
  let srv: TestServer;
  let admin: string;
  const put = (body: unknown, token = admin) => srv.api("/api/v1/sso/settings", { method: "PUT", token, json: body });
  const refusal = async (res: Response) => ((await res.json()) as { error: { code: string; details?: { issues?: { path: string }[] } } }).error;

  beforeAll(async () => {
    srv = await startTestServer(dialect, { scheduler: false });
    admin = await srv.token("admin");
    await createUser(srv.ctx, { email: "ops@example.com", role: "operator", password: PASSWORD });
  });
  afterAll(async () => {
    await srv?.stop();
  });

  it("refuses an http issuer, a first save without a secret, and a break-glass e-mail that is not an admin's", async () => {
    const http = await put(settings({ issuerUrl: "http://login.example.com", clientSecret: SECRET }));
    expect(http.status).toBe(400);
    expect((await refusal(http)).details?.issues?.[0]?.path).toBe("issuerUrl");
    const noSecret = await put(settings());
    expect((await refusal(noSecret)).details?.issues?.[0]?.path).toBe("clientSecret");
    const notAdmin = await put(settings({ clientSecret: SECRET, passwordSignIn: "breakGlassOnly", breakGlassEmail: "ops@example.com" }));
    expect((await refusal(notAdmin)).details?.issues?.[0]?.path).toBe("breakGlassEmail");
    const noRules = await put(settings({ clientSecret: SECRET, roleRules: [] }));
    expect((await refusal(noRules)).details?.issues?.[0]?.path).toBe("roleRules");
    expect((await put(settings({ clientSecret: SECRET }), await srv.token("operator"))).status).toBe(403);
  });

  it("keeps the secret sealed in the database and never answers it", async () => {
    const saved = await put(settings({ clientSecret: SECRET }));
    expect(saved.status).toBe(200);
    const view = await saved.json();
    expect(view).toMatchObject({ configured: true, clientSecretSet: true, redirectUri: `${srv.url}/api/v1/sso/callback` });
    expect(JSON.stringify(view)).not.toContain(SECRET);
    const [row] = await srv.ctx.database.db.select().from(srv.ctx.database.t.ssoSettings);
    expect(row!.clientSecretSealed).toMatch(/^v1\./);
    expect(row!.clientSecretSealed).not.toContain(SECRET);
    expect(await (await srv.api("/api/v1/sso")).json()).toEqual({ enabled: true, displayName: "Company ID", passwordSignIn: "everyone" });
  });

  it("sends a browser back to the sign-in page with the catalog code when the provider cannot be reached or the callback has no flow", async () => {
    const start = await srv.api("/api/v1/sso/start", { redirect: "manual" });
    expect(start.status).toBe(302);
    expect(start.headers.get("location")).toBe("/sign-in?ssoError=SSO_PROVIDER_UNREACHABLE");
    const callback = await srv.api("/api/v1/sso/callback?code=x&state=y", { redirect: "manual" });
    expect(callback.headers.get("location")).toBe("/sign-in?ssoError=SSO_SIGN_IN_FAILED");
    expect(callback.headers.getSetCookie().some((c) => c.startsWith("holdfast_session="))).toBe(false);
    const offsite = await srv.api("/api/v1/sso/start?returnTo=%2F%2Fevil.example", { redirect: "manual" });
    expect(offsite.status).toBe(400);
  });

  it("with password sign-in limited, refuses everyone's password but the break-glass admin's; with SSO off, lets everyone in again", async () => {
    expect((await put(settings({ passwordSignIn: "breakGlassOnly", breakGlassEmail: "admin@test.local" }))).status).toBe(200);
    const ops = await new Browser(srv.url).signIn("ops@example.com", PASSWORD);
    expect(ops.status).toBe(403);
    expect(ops.body.error.code).toBe("PASSWORD_SIGN_IN_DISABLED");
    expect((await new Browser(srv.url).signIn("admin@test.local", PASSWORD)).status).toBe(201);

    expect((await put(settings({ enabled: false }))).status).toBe(200);
    expect(await (await srv.api("/api/v1/sso")).json()).toEqual({ enabled: false, passwordSignIn: "everyone" });
    expect((await new Browser(srv.url).signIn("ops@example.com", PASSWORD)).status).toBe(201);
    const off = await srv.api("/api/v1/sso/start", { redirect: "manual" });
    expect(off.headers.get("location")).toBe("/sign-in?ssoError=SSO_DISABLED");
  });
});
