import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { InstallManifest, PROTOCOL_VERSION } from "@holdfast/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../testing/harness.js";
import { VERSION } from "../version.js";
import { INSTALL_SCRIPT } from "./install-routes.js";

const dir = mkdtempSync(path.join(tmpdir(), "holdfast-packages-"));
const name = `holdfast-agent-${VERSION}-linux-x64.tar.gz`;
const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

function publish(content: Buffer): void {
  writeFileSync(path.join(dir, name), content);
  writeFileSync(path.join(dir, `${name}.json`), JSON.stringify({ version: VERSION, os: "linux", arch: "x64", nodeVersion: "22.23.5" }));
}

describe("/install: manifest, packages and script, without credentials", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer("sqlite", { scheduler: false, vars: { HOLDFAST_AGENT_PACKAGES_DIR: dir } });
  });
  afterAll(async () => {
    await srv?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists no package while none is built", async () => {
    const res = await srv.api("/install/manifest.json");
    expect(res.status).toBe(200);
    expect(InstallManifest.parse(await res.json())).toEqual({ version: VERSION, protocolVersion: PROTOCOL_VERSION, packages: [] });
  });

  it("lists a built package with its size and SHA-256, and a rebuilt one with its new hash", async () => {
    publish(bytes);
    // A package of another version and a stray file are not offered.
    writeFileSync(path.join(dir, "holdfast-agent-0.0.1-linux-x64.tar.gz"), "old");
    writeFileSync(path.join(dir, "notes.txt"), "hello");
    const manifest = InstallManifest.parse(await (await srv.api("/install/manifest.json")).json());
    expect(manifest.packages).toEqual([{ os: "linux", arch: "x64", url: `/install/packages/${name}`, sha256: sha256(bytes), size: bytes.length, nodeVersion: "22.23.5" }]);

    const rebuilt = Buffer.concat([bytes, Buffer.from("more")]);
    publish(rebuilt);
    utimesSync(path.join(dir, name), new Date(), new Date(Date.now() + 5000));
    const again = InstallManifest.parse(await (await srv.api("/install/manifest.json")).json());
    expect(again.packages[0]).toMatchObject({ sha256: sha256(rebuilt), size: rebuilt.length });
    publish(bytes);
  });

  it("serves the package byte for byte, with its hash as ETag, and a range of it", async () => {
    publish(bytes);
    const res = await srv.api(`/install/packages/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe(String(bytes.length));
    expect(res.headers.get("etag")).toBe(`"${sha256(bytes)}"`);
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);

    const part = await srv.api(`/install/packages/${name}`, { headers: { range: "bytes=1000-" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 1000-${bytes.length - 1}/${bytes.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(1000))).toBe(true);

    const stale = await srv.api(`/install/packages/${name}`, { headers: { range: "bytes=1000-", "if-range": '"0000"' } });
    expect(stale.status).toBe(200);
    expect((await stale.arrayBuffer()).byteLength).toBe(bytes.length);
  });

  it("serves no file outside the packages folder, nor any that is not a package", async () => {
    writeFileSync(path.join(path.dirname(dir), "secret.tar.gz"), "secret");
    for (const attempt of ["..%2Fsecret.tar.gz", "..%2F..%2Fetc%2Fpasswd", "notes.txt", `${name}.json`, "holdfast-agent-..-linux-x64.tar.gz", `%2E${name}`]) {
      const res = await srv.api(`/install/packages/${attempt}`);
      expect(res.status, attempt).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
    }
    rmSync(path.join(path.dirname(dir), "secret.tar.gz"));
  });

  it("serves install/agent.sh as it is in the checkout", async () => {
    const res = await srv.api("/install/agent.sh");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(readFileSync(INSTALL_SCRIPT, "utf8"));
  });
});
