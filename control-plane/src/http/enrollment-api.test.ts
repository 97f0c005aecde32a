import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enrollOverHttp } from "../testing/fake-agent.js";
import { startTestServer, type TestServer } from "../testing/harness.js";

type Json = Record<string, any>;

/** A POST with a Host header of our choosing (fetch does not let a caller set it). */
function postWithHost(url: string, path: string, host: string, token: string, body: unknown): Promise<{ status: number; body: Json }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = httpRequest(`${url}${path}`, { method: "POST", headers: { host, authorization: `Bearer ${token}`, "content-type": "application/json", "content-length": Buffer.byteLength(data) } }, (res) => {
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Json }));
    });
    req.on("error", reject);
    req.end(data);
  });
}

describe("REST API: enrollment tokens", () => {
  let srv: TestServer;
  let admin: string;
  const call = async (method: string, path: string, json?: unknown, headers: Record<string, string> = {}) => {
    const res = await srv.api(`/api/v1${path}`, { method, token: admin, headers, ...(json === undefined ? {} : { json }) });
    const text = await res.text();
    return { status: res.status, text, body: (text ? JSON.parse(text) : {}) as Json };
  };

  beforeAll(async () => {
    // The test client is its own trusted proxy, so it can say the request came over TLS.
    srv = await startTestServer("sqlite", { scheduler: false, vars: { HOLDFAST_TRUSTED_PROXIES: "127.0.0.1" } });
    admin = await srv.token("admin");
  });
  afterAll(async () => srv?.stop());

  it("answers the token once with ready commands for the URL the admin used, and lists it pending without the secret", async () => {
    const before = Date.now();
    const made = await call("POST", "/enrollment-tokens", { ttl: "30m", name: "db-7" });
    expect(made.status).toBe(201);
    const { token, serverUrl, commands, expiresAt } = made.body;
    expect(token).toMatch(/^hf_enr_[a-z2-7]{52}$/);
    expect(serverUrl).toBe(srv.url);
    expect(Date.parse(expiresAt) - before).toBeGreaterThanOrEqual(30 * 60_000 - 1000);
    expect(Date.parse(expiresAt) - before).toBeLessThanOrEqual(30 * 60_000 + 5000);
    expect(commands.enroll).toEqual({
      argv: ["holdfast-agent", "enroll", "--server", srv.url, "--data-dir", "/var/lib/holdfast-agent"],
      env: { HOLDFAST_ENROLL_TOKEN: token },
      shell: `HOLDFAST_ENROLL_TOKEN=${token} holdfast-agent enroll --server ${srv.url} --data-dir /var/lib/holdfast-agent`,
    });
    // The one-line install: no TLS here (and loopback), so neither pins nor --insecure nor a warning.
    expect(commands.install.shell).toBe(
      `curl -fsSL ${srv.url}/install/agent.sh -o install.sh && HOLDFAST_ENROLL_TOKEN=${token} sudo --preserve-env=HOLDFAST_ENROLL_TOKEN sh install.sh --server ${srv.url}`,
    );
    expect(commands.warning).toBeUndefined();

    const pending = await call("GET", "/enrollment-tokens");
    expect(pending.body.items).toEqual([{ id: made.body.id, name: "db-7", createdBy: "admin@test.local", createdAt: expect.any(String), expiresAt }]);
    expect(pending.text).not.toContain(token.slice(7));

    const { agentId } = await enrollOverHttp(srv.url, token);
    expect((await call("GET", "/enrollment-tokens")).body.items).toEqual([]);
    expect(await call("DELETE", `/enrollment-tokens/${made.body.id}`)).toMatchObject({ status: 409, body: { error: { code: "ENROLLMENT_TOKEN_USED", details: { agentId } } } });
  });

  it("revokes an unused token, which enrollment then refuses", async () => {
    const made = (await call("POST", "/enrollment-tokens", {})).body;
    expect(Date.parse(made.expiresAt) - Date.now()).toBeLessThanOrEqual(15 * 60_000);
    expect(made.name).toBeNull();
    expect((await call("DELETE", `/enrollment-tokens/${made.id}`)).status).toBe(204);
    await expect(enrollOverHttp(srv.url, made.token)).rejects.toThrow(/401 .*ENROLLMENT_TOKEN_INVALID/);
    expect((await call("DELETE", `/enrollment-tokens/${made.id}`)).body.error.code).toBe("ENROLLMENT_TOKEN_NOT_FOUND");
  });

  it("refuses a TTL it cannot honour, creating nothing", async () => {
    for (const ttl of ["25h", "0m", "15", 900]) {
      expect((await call("POST", "/enrollment-tokens", { ttl })).body.error, String(ttl)).toMatchObject({ code: "VALIDATION_FAILED", details: { issues: [{ path: "ttl" }] } });
    }
    expect((await call("GET", "/enrollment-tokens")).body.items).toEqual([]);
  });

  it("takes the scheme from TLS (a trusted proxy's X-Forwarded-Proto) and the host from Host, and refuses a Host that is no host name", async () => {
    expect((await call("POST", "/enrollment-tokens", {}, { "x-forwarded-proto": "https" })).body.serverUrl).toBe(srv.url.replace("http:", "https:"));
    const named = await postWithHost(srv.url, "/api/v1/enrollment-tokens", "holdfast.example.com:8443", admin, {});
    expect(named.body.commands.enroll.argv[3]).toBe("http://holdfast.example.com:8443");
    // Plain http to another host: said in the commands (--insecure) and in a warning.
    expect(named.body.commands.enroll.argv).toContain("--insecure");
    expect(named.body.commands.warning).toMatch(/plain http/);
    const v6 = await postWithHost(srv.url, "/api/v1/enrollment-tokens", "[fd00::1]:8080", admin, {});
    expect(v6.body.commands.enroll.shell).toContain("--server 'http://[fd00::1]:8080'");
    const hostile = await postWithHost(srv.url, "/api/v1/enrollment-tokens", "x;touch${IFS}pwned", admin, {});
    expect(hostile).toMatchObject({ status: 400, body: { error: { code: "VALIDATION_FAILED" } } });
    expect((await call("GET", "/enrollment-tokens")).body.items).toHaveLength(3);
  });
});
