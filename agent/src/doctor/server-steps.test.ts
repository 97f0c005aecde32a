import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freeLoopbackPort, makeTempDir } from "../testing/helpers.js";
import { judgeClockSkew } from "./clock-skew.js";
import { checkDns } from "./dns-lookup.js";
import { checkHttpHealth } from "./http-health.js";
import { checkTcp } from "./tcp-connect.js";
import { checkTls } from "./tls-pin.js";

/** A server answering /healthz with a Date header `skewMs` off this host's clock (or the status given). */
async function healthServer(opts: { skewMs?: number; status?: number } = {}): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.sendDate = false;
    res.writeHead(opts.status ?? 200, { date: new Date(Date.now() + (opts.skewMs ?? 0)).toUTCString(), "content-type": "application/json" });
    res.end('{"ok":true}');
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}

describe("clock skew against the control plane's Date header", () => {
  it.each([
    [0, "ok", /clock within/],
    [-20_000, "warn", /(19|20|21) s ahead of the control plane/],
    [120_000, "fail", /1[12]\d s behind the control plane: the control plane refuses its tokens/],
  ] as const)("a server %i ms off is %s", async (skewMs, status, summary) => {
    const srv = await healthServer({ skewMs });
    try {
      const health = await checkHttpHealth(srv.url, 5000);
      expect(health.findings).toEqual([{ check: "http", status: "ok", summary: "GET /healthz answered 200" }]);
      const finding = judgeClockSkew(health.date);
      expect(finding.status).toBe(status);
      expect(finding.summary).toMatch(summary);
      if (status !== "ok") expect(finding.fix).toContain("timedatectl");
    } finally {
      await srv.close();
    }
  });

  it("warns when no Date header came", () => {
    expect(judgeClockSkew(undefined)).toMatchObject({ status: "warn", summary: expect.stringContaining("no Date header") });
  });
});

describe("reaching the control plane, step by step", () => {
  it("fails HTTP that does not answer 200, naming the status", async () => {
    const srv = await healthServer({ status: 502 });
    try {
      expect((await checkHttpHealth(srv.url, 5000)).findings[0]).toMatchObject({ check: "http", status: "fail", summary: "GET /healthz answered 502" });
    } finally {
      await srv.close();
    }
  });

  it("fails TCP to a port nothing listens on, saying so", async () => {
    const port = await freeLoopbackPort();
    expect(await checkTcp("127.0.0.1", port, 2000)).toEqual([
      { check: "tcp", status: "fail", summary: `cannot connect to 127.0.0.1:${port} (ECONNREFUSED)`, fix: expect.stringContaining("nothing listens there") },
    ]);
  });

  it("fails DNS for a name that cannot exist (.invalid, RFC 2606)", async () => {
    const r = await checkDns("holdfast-doctor.invalid");
    expect(r.address).toBeNull();
    expect(r.findings[0]).toMatchObject({ check: "dns", status: "fail", summary: expect.stringContaining("does not resolve") });
  });

  it("resolves localhost", async () => {
    const r = await checkDns("localhost");
    expect(r.address).not.toBeNull();
    expect(r.findings[0]?.status).toBe("ok");
  });
});

describe("the TLS pin", () => {
  let dir: string;
  let server: https.Server;
  let port: number;
  let leafPin: string;

  /** The pin computed by openssl, independently of the code under test. */
  function opensslPin(cert: string): string {
    const pub = execFileSync("openssl", ["x509", "-in", cert, "-pubkey", "-noout"]);
    const der = execFileSync("openssl", ["pkey", "-pubin", "-outform", "der"], { input: pub });
    return `sha256:${execFileSync("openssl", ["dgst", "-sha256", "-binary"], { input: der }).toString("base64")}`;
  }

  beforeAll(async () => {
    dir = makeTempDir("doctor-tls");
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=holdfast-cp", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", "key.pem", "-out", "cert.pem"],
      { cwd: dir, stdio: "pipe" },
    );
    leafPin = opensslPin(path.join(dir, "cert.pem"));
    server = https.createServer({ key: fs.readFileSync(path.join(dir, "key.pem")), cert: fs.readFileSync(path.join(dir, "cert.pem")) }, (_req, res) => res.end("ok"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("trusts a self-signed server whose key matches a pin", async () => {
    const r = await checkTls({ address: "127.0.0.1", host: "127.0.0.1", port, pins: [leafPin], timeoutMs: 5000 });
    expect(r.trusted).toBe(true);
    expect(r.findings[1]).toEqual({ check: "tls-pin", status: "ok", summary: `the server's chain matches pin ${leafPin}` });
  });

  it("refuses a server whose chain matches none of the pins, showing both", async () => {
    const other = `sha256:${Buffer.alloc(32, 7).toString("base64")}`;
    const r = await checkTls({ address: "127.0.0.1", host: "127.0.0.1", port, pins: [other], timeoutMs: 5000 });
    expect(r.trusted).toBe(false);
    expect(r.findings[1]).toMatchObject({ check: "tls-pin", status: "fail", summary: expect.stringContaining(leafPin), fix: expect.stringContaining("--ca-pin") });
    expect(r.findings[1]?.summary).toContain(other);
  });

  it("without pins, fails a certificate the system's CAs do not know and offers its pin", async () => {
    const r = await checkTls({ address: "127.0.0.1", host: "127.0.0.1", port, pins: [], timeoutMs: 5000 });
    expect(r.trusted).toBe(false);
    expect(r.findings[1]).toMatchObject({ status: "fail", fix: expect.stringContaining(leafPin) });
  });

  it("fails a plain-HTTP port spoken to with TLS", async () => {
    const srv = await healthServer();
    try {
      const plainPort = Number(new URL(srv.url).port);
      const r = await checkTls({ address: "127.0.0.1", host: "127.0.0.1", port: plainPort, pins: [leafPin], timeoutMs: 5000 });
      expect(r.trusted).toBe(false);
      expect(r.findings[0]).toMatchObject({ check: "tls", status: "fail" });
    } finally {
      await srv.close();
    }
  });
});
