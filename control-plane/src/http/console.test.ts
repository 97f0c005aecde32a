import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { createApp } from "./app.js";

const INDEX = `<!doctype html><html><head><meta property="csp-nonce" nonce="HOLDFAST_CSP_NONCE"><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>`;
const SCRIPT = "console.log('console');";
const BROWSER = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };

describe("the console at /", () => {
  let srv: TestServer;
  let dist: string;
  let app: ReturnType<typeof createApp>;
  let bare: ReturnType<typeof createApp>;
  beforeAll(async () => {
    srv = await startTestServer("sqlite");
    dist = await mkdtemp(join(tmpdir(), "holdfast-console-"));
    await mkdir(join(dist, "assets"));
    await mkdir(join(dist, ".vite"));
    await writeFile(join(dist, "index.html"), INDEX);
    await writeFile(join(dist, "assets/index-abc123.js"), SCRIPT);
    await writeFile(join(dist, "assets/index-abc123.js.gz"), gzipSync(SCRIPT));
    await writeFile(join(dist, "favicon.svg"), "<svg/>");
    await writeFile(join(dist, ".vite/manifest.json"), "{}");
    app = createApp(srv.ctx, { consoleDir: dist });
    bare = createApp(srv.ctx, { consoleDir: join(dist, "missing") });
  });
  afterAll(async () => {
    await srv.stop();
    await rm(dist, { recursive: true, force: true });
  });

  it("answers a client route with index.html, a fresh style nonce in its CSP and the page, and the security headers", async () => {
    const first = await app.request("/agents", { headers: BROWSER });
    const second = await app.request("/agents", { headers: BROWSER });
    expect(first.status).toBe(200);
    expect(first.headers.get("content-type")).toContain("text/html");
    const csp = first.headers.get("content-security-policy") ?? "";
    const nonce = /style-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(await first.text()).toContain(`nonce="${nonce}"`);
    expect(second.headers.get("content-security-policy")).not.toContain(nonce);
    expect(csp).toContain("script-src 'self';");
    expect(csp).not.toContain("unsafe-inline");
    for (const directive of ["default-src 'self'", "img-src 'self' data:", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'", "object-src 'none'"]) {
      expect(csp).toContain(directive);
    }
    expect(Object.fromEntries(["x-content-type-options", "referrer-policy", "x-frame-options", "cache-control"].map((h) => [h, first.headers.get(h)]))).toEqual({
      "x-content-type-options": "nosniff",
      "referrer-policy": "no-referrer",
      "x-frame-options": "DENY",
      "cache-control": "no-cache",
    });
  });

  it("serves / as the console even to a client that does not ask for HTML", async () => {
    const res = await app.request("/");
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(await res.text()).toContain('<div id="root">');
  });

  it("caches hashed assets for a year, and sends them compressed when the browser accepts it", async () => {
    const plain = await app.request("/assets/index-abc123.js");
    expect(plain.status).toBe(200);
    expect(plain.headers.get("content-type")).toContain("javascript");
    expect(plain.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await plain.text()).toBe(SCRIPT);
    const gz = await app.request("/assets/index-abc123.js", { headers: { "accept-encoding": "gzip, deflate" } });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(gz.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
  });

  it("answers a missing asset with 404, never with index.html a script tag would choke on", async () => {
    const res = await app.request("/assets/index-gone.js", { headers: BROWSER });
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/json");
  });

  it("keeps the API's JSON 404 for its paths, even for a browser", async () => {
    for (const path of ["/api/v1/nowhere", "/agent/v1/nowhere", "/install/nothing.sh", "/api"]) {
      const res = await srv.api(path, { headers: BROWSER, token: await srv.token("viewer") });
      expect(res.status, path).toBe(404);
      expect(res.headers.get("content-type"), path).toContain("application/json");
    }
    // The probes answer their JSON to a browser too, never the console's page.
    const ready = await srv.api("/readyz", { headers: BROWSER });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true });
    const unauthenticated = await app.request("/api/v1/agents", { headers: BROWSER });
    expect(unauthenticated.status).toBe(401);
  });

  it("answers a script asking an unknown path with the JSON 404, and keeps other methods off the fallback", async () => {
    const json = await app.request("/nowhere", { headers: { accept: "application/json" } });
    expect(json.status).toBe(404);
    expect(((await json.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    const post = await app.request("/agents", { method: "POST", headers: BROWSER });
    expect(post.status).toBe(404);
  });

  it("serves the build's root files but not its manifest or other dot folders", async () => {
    expect((await app.request("/favicon.svg")).status).toBe(200);
    expect((await app.request("/.vite/manifest.json")).status).toBe(404);
  });

  it("says how to build the console when it is not built, under the same policy", async () => {
    const res = await bare.request("/schedules", { headers: BROWSER });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    const page = await res.text();
    expect(page).toContain("npm run build");
    expect(page).not.toMatch(/<script|style=/);
    expect((await bare.request("/assets/index-abc123.js")).status).toBe(404);
  });
});
