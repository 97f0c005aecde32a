import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { join } from "node:path";
import Provider from "oidc-provider";
import { freePort, tempDir } from "./processes.js";

/** A person at the provider: signs in by this login (any password, the dev login form), with these claims. */
export interface OidcAccount {
  email: string;
  groups: string[];
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** The CA that signed the provider's certificate (PEM). */
  ca: string;
  close(): Promise<void>;
}

export interface OidcCertificates {
  dir: string;
  /** The CA's certificate (PEM file): NODE_EXTRA_CA_CERTS for a control plane that must trust the provider. */
  caFile: string;
}

/** A CA made for this run, and a certificate for 127.0.0.1 signed by it: made before the control plane starts, which must trust it. */
export function makeOidcCertificates(): OidcCertificates {
  const dir = tempDir("oidc");
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=holdfast test OIDC CA", "-keyout", "ca.key", "-out", "ca.crt"]);
  openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr"]);
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "san.ext", "-out", "server.crt"]);
  return { dir, caFile: join(dir, "ca.crt") };
}

/**
 * A real OpenID provider (the `oidc-provider` package) over TLS, with one confidential client whose
 * redirect URI is `redirectUri`, PKCE required, and its development login form: the login typed
 * there is the account. Consent is granted without a second page, as a company's provider does for
 * its own applications. `groups` is a claim of the profile scope, served by userinfo.
 */
export async function startOidcProvider(certs: OidcCertificates, redirectUris: string[], accounts: Record<string, OidcAccount>): Promise<TestOidcProvider> {
  const { dir } = certs;
  const port = await freePort();
  const issuer = `https://127.0.0.1:${port}`;
  const clientId = "holdfast-console";
  const clientSecret = "oidc-client-secret-4f1b9e7c2d";
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: redirectUris, grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "client_secret_basic" }],
    pkce: { required: () => true },
    ttl: { Interaction: 600, Grant: 600, Session: 600, AccessToken: 600, IdToken: 600 },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "groups"] },
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ["holdfast-test-cookie-key"] },
    async findAccount(_ctx: unknown, sub: string) {
      const account = accounts[sub];
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, email: account.email, email_verified: true, name: sub, groups: account.groups }) };
    },
    async loadExistingGrant(ctx: { oidc: { client: { clientId: string }; session: { accountId: string; grantIdFor(id: string): string | undefined }; provider: Provider } }) {
      const { client, session } = ctx.oidc;
      const known = session.grantIdFor(client.clientId);
      const Grant = ctx.oidc.provider.Grant as unknown as { find(id: string): Promise<unknown> } & Provider["Grant"];
      if (known) return Grant.find(known);
      const grant = new Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope("openid email profile");
      await grant.save();
      return grant;
    },
  });
  const server: Server = createServer({ key: readFileSync(join(dir, "server.key")), cert: readFileSync(join(dir, "server.crt")) }, provider.callback());
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    issuer,
    clientId,
    clientSecret,
    ca: readFileSync(certs.caFile, "utf8"),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
