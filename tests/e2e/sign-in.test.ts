import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser } from "../../control-plane/src/testing/browser.js";
import { type ControlPlane, startControlPlane, tempDir, waitFor } from "../support/processes.js";

// The first start of a real `holdfast serve` on an empty data dir, as an operator meets it: the
// setup URL on stderr, the first admin created with it, then a browser-style session.

describe("first admin and a browser session on a fresh control plane", () => {
  let cp: ControlPlane;
  let setupUrl: URL;

  beforeAll(async () => {
    cp = await startControlPlane();
    const line = await waitFor("the setup URL on stderr", () => /^\s+(http:\/\/\S+\/setup#token=\S+)$/m.exec(cp.process.output)?.[1], 10_000);
    setupUrl = new URL(line);
  });
  afterAll(async () => {
    await cp?.process.stop();
  });

  it("prints the setup URL once, with the token in the fragment only, and logs no token", () => {
    const token = new URLSearchParams(setupUrl.hash.slice(1)).get("token")!;
    expect(token).toMatch(/^hf_setup_/);
    expect(setupUrl.origin).toBe(cp.url);
    expect(setupUrl.pathname).toBe("/setup");
    expect(setupUrl.search).toBe("");
    expect(cp.process.output.split(token).length - 1, "the token appears once: the printed URL").toBe(1);
    const logLines = cp.process.output.split("\n").filter((l) => l.startsWith("{"));
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.some((l) => l.includes("hf_setup_"))).toBe(false);
  });

  it("creates the admin with it, signs in, and changes something with the cookie and the CSRF token (not without)", async () => {
    const token = new URLSearchParams(setupUrl.hash.slice(1)).get("token")!;
    const browser = new Browser(cp.url);
    expect(await (await browser.fetch("/api/v1/setup")).json()).toEqual({ needed: true });
    // The setup link opens the console's setup page (index.html; the page reads the fragment itself).
    const page = await browser.fetch("/setup", { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(page.headers.get("referrer-policy")).toBe("no-referrer");

    const created = await browser.fetch("/api/v1/setup", { method: "POST", json: { token, email: "root@example.test", password: "correct horse battery staple" } });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ user: { email: "root@example.test", role: "admin" } });
    const again = await browser.fetch("/api/v1/setup", { method: "POST", json: { token, email: "other@example.test", password: "correct horse battery staple" } });
    expect(again.status).toBe(409);

    const wrong = await browser.signIn("root@example.test", "not the password");
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe("INVALID_CREDENTIALS");
    const signedIn = await browser.signIn("root@example.test", "correct horse battery staple");
    expect(signedIn.status).toBe(201);
    expect(signedIn.body).toMatchObject({ via: "session", user: { role: "admin" } });

    // An operator route that changes something: a destination in a local folder.
    const destination = { name: "e2e-folder", type: "local", config: { path: tempDir("sign-in-dest") } };
    const refused = await browser.fetch("/api/v1/destinations", { method: "POST", json: destination });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("CSRF_CHECK_FAILED");
    const made = await browser.fetch("/api/v1/destinations", { method: "POST", json: destination, csrf: true });
    expect(made.status).toBe(201);
    const listed = (await (await browser.fetch("/api/v1/destinations")).json()) as { items: { name: string }[] };
    expect(listed.items.map((d) => d.name)).toEqual(["e2e-folder"]);

    expect((await browser.fetch("/api/v1/session", { method: "DELETE", csrf: true })).status).toBe(204);
    expect((await browser.fetch("/api/v1/destinations")).status).toBe(401);
  });

  it("prints no setup URL at the next start, now that a user exists", async () => {
    await cp.restart();
    await waitFor("the listening line", () => cp.process.output.includes("holdfast listening on"), 10_000);
    expect(cp.process.output).not.toContain("/setup#token=");
  });
});
