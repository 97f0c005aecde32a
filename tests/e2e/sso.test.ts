import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../../control-plane/src/testing/browser.js";
import { makeOidcCertificates, startOidcProvider, type TestOidcProvider } from "../support/oidc-provider.js";
import { cookiePairs, send, signInAtProvider } from "../support/oidc-walk.js";
import { type ControlPlane, createAdmin, startControlPlane } from "../support/processes.js";

// Single sign-on against a real OpenID provider (oidc-provider, over TLS with a CA made here) and a
// real `holdfast serve`, which trusts that CA through NODE_EXTRA_CA_CERTS as an operator's would.

const PASSWORD = "correct horse battery staple";
const ROLE_RULES = [
  { claim: "groups", value: "dba", role: "operator" },
  { claim: "groups", value: "staff", role: "viewer" },
];

describe("single sign-on through an OpenID provider", () => {
  let cp: ControlPlane;
  let provider: TestOidcProvider;
  let adminToken: string;

  const asAdmin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${cp.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const settings = (over: Record<string, unknown> = {}) => ({
    enabled: true,
    displayName: "Example ID",
    issuerUrl: provider.issuer,
    clientId: provider.clientId,
    roleRules: ROLE_RULES,
    passwordSignIn: "everyone",
    breakGlassEmail: null,
    ...over,
  });

  /** Start → the provider's login as `login` → the callback, with the flow cookie of `start` (or another's). */
  async function signInAs(login: string, opts: { flowCookieFrom?: "another start" | "none" } = {}) {
    const start = await send(`${cp.url}/api/v1/sso/start?returnTo=%2Fruns`);
    expect(start.status).toBe(302);
    let flowCookies = cookiePairs(start.setCookies);
    if (opts.flowCookieFrom === "another start") flowCookies = cookiePairs((await send(`${cp.url}/api/v1/sso/start`)).setCookies);
    if (opts.flowCookieFrom === "none") flowCookies = [];
    const callback = await signInAtProvider(start.location!, login, provider.ca);
    expect(callback.startsWith(`${cp.url}/api/v1/sso/callback?`)).toBe(true);
    const landed = await send(callback, { cookies: flowCookies });
    expect(landed.status).toBe(302);
    const session = landed.setCookies.find((c) => c.startsWith("holdfast_session="));
    return { location: landed.location!, session: session?.split(";")[0], setCookies: landed.setCookies, code: new URL(callback).searchParams.get("code")! };
  }

  beforeAll(async () => {
    const certs = makeOidcCertificates();
    cp = await startControlPlane({ env: { NODE_EXTRA_CA_CERTS: certs.caFile } });
    adminToken = await createAdmin(cp);
    const operator = await cp.cli(["user", "create", "--email", "bob@example.test", "--role", "operator", "--password-stdin"], `${PASSWORD}\n`);
    expect(operator.code).toBe(0);
    provider = await startOidcProvider(certs, [`${cp.url}/api/v1/sso/callback`], {
      alice: { email: "Alice@Example.test", groups: ["staff", "dba"] },
      mallory: { email: "mallory@example.test", groups: ["contractors"] },
    });
  }, 120_000);
  afterAll(async () => {
    await cp?.process.stop();
    await provider?.close();
  });

  it("is off until an admin saves the settings; the secret is write-only and sealed at rest; the change is audited", async () => {
    expect(await (await fetch(`${cp.url}/api/v1/sso`)).json()).toEqual({ enabled: false, passwordSignIn: "everyone" });
    const off = await send(`${cp.url}/api/v1/sso/start`);
    expect(off.location).toBe(`${cp.url}/sign-in?ssoError=SSO_DISABLED`);

    const saved = await asAdmin("PUT", "/sso/settings", settings({ clientSecret: provider.clientSecret }));
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ configured: true, enabled: true, clientSecretSet: true, redirectUri: `${cp.url}/api/v1/sso/callback`, roleRules: ROLE_RULES });
    expect(JSON.stringify(saved.body)).not.toContain(provider.clientSecret);
    // Saved again without the secret: the stored one stays.
    expect((await asAdmin("PUT", "/sso/settings", settings())).body.clientSecretSet).toBe(true);
    expect(JSON.stringify((await asAdmin("GET", "/sso/settings")).body)).not.toContain(provider.clientSecret);
    expect(await (await fetch(`${cp.url}/api/v1/sso`)).json()).toEqual({ enabled: true, displayName: "Example ID", passwordSignIn: "everyone" });

    for (const file of filesUnder(cp.dataDir)) expect(readFileSync(file).includes(provider.clientSecret), file).toBe(false);
    const audit = await asAdmin("GET", "/audit?limit=200");
    expect(audit.status).toBe(200);
    const changes = (audit.body.items as { action: string; fields: string[] }[]).filter((e) => e.action === "PUT /sso/settings");
    expect(changes).toHaveLength(2);
    expect(changes.map((e) => e.fields.includes("clientSecret")).sort()).toEqual([false, true]);
  });

  it("creates the user at the first sign-in with the role of the first matching rule, signs them in and lands on the page asked for", async () => {
    const { location, session, setCookies, code } = await signInAs("alice");
    expect(location).toBe(`${cp.url}/runs`);
    // Neither the authorization code nor the client secret reaches the control plane's log.
    expect(code.length).toBeGreaterThan(10);
    expect(cp.process.output).not.toContain(code);
    expect(cp.process.output).not.toContain(provider.clientSecret);
    expect(session).toBeDefined();
    expect(setCookies.some((c) => c.startsWith("holdfast_sso_flow=;"))).toBe(true);
    const browser = new Browser(cp.url);
    browser.cookie = { name: "holdfast_session", value: session!.split("=")[1]! };
    const who = (await (await browser.fetch("/api/v1/session")).json()) as any;
    expect(who).toMatchObject({ signedIn: true, via: "session", user: { email: "alice@example.test", role: "operator" } });
    expect((await browser.fetch("/api/v1/runs")).status).toBe(200);
    // Once more: the same user, not a second one.
    await signInAs("alice");
    const users = (await asAdmin("GET", "/users")).body.items as { email: string; role: string }[];
    expect(users.filter((u) => u.email === "alice@example.test")).toEqual([expect.objectContaining({ role: "operator" })]);
    const audit = (await asAdmin("GET", "/audit?limit=200")).body.items as { action: string; status: number; actorEmail?: string; actor?: { email: string } }[];
    expect(audit.filter((e) => e.action === "session.ssoSignIn" && e.status === 201)).toHaveLength(2);
  });

  it("refuses a person no rule maps to a role, creating no user", async () => {
    const { location, session } = await signInAs("mallory");
    expect(location).toBe(`${cp.url}/sign-in?ssoError=SSO_NO_ROLE_MATCH`);
    expect(session).toBeUndefined();
    const users = (await asAdmin("GET", "/users")).body.items as { email: string }[];
    expect(users.map((u) => u.email)).not.toContain("mallory@example.test");
    const audit = (await asAdmin("GET", "/audit?limit=200")).body.items as { action: string; errorCode: string | null }[];
    expect(audit.some((e) => e.action === "session.ssoSignIn" && e.errorCode === "SSO_NO_ROLE_MATCH")).toBe(true);
  });

  it("refuses a callback whose state is not this browser's flow, or that comes with no flow at all", async () => {
    for (const flowCookieFrom of ["another start", "none"] as const) {
      const { location, session } = await signInAs("alice", { flowCookieFrom });
      expect(location, flowCookieFrom).toBe(`${cp.url}/sign-in?ssoError=SSO_SIGN_IN_FAILED`);
      expect(session, flowCookieFrom).toBeUndefined();
    }
  });

  it("turned off, password sign-in refuses everyone but the break-glass admin", async () => {
    const notAdmin = await asAdmin("PUT", "/sso/settings", settings({ passwordSignIn: "breakGlassOnly", breakGlassEmail: "bob@example.test" }));
    expect(notAdmin.status).toBe(400);
    expect(notAdmin.body.error.details.issues[0].path).toBe("breakGlassEmail");
    expect((await asAdmin("PUT", "/sso/settings", settings({ passwordSignIn: "breakGlassOnly", breakGlassEmail: "admin@example.test" }))).status).toBe(200);
    expect(await (await fetch(`${cp.url}/api/v1/sso`)).json()).toEqual({ enabled: true, displayName: "Example ID", passwordSignIn: "breakGlassOnly" });

    const bob = await new Browser(cp.url).signIn("bob@example.test", PASSWORD);
    expect(bob.status).toBe(403);
    expect(bob.body.error.code).toBe("PASSWORD_SIGN_IN_DISABLED");
    const admin = await new Browser(cp.url).signIn("admin@example.test", PASSWORD);
    expect(admin.status).toBe(201);
    expect((await signInAs("alice")).session).toBeDefined();

    expect((await asAdmin("PUT", "/sso/settings", settings({ passwordSignIn: "everyone" }))).status).toBe(200);
    expect((await new Browser(cp.url).signIn("bob@example.test", PASSWORD)).status).toBe(201);
  });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}
