import fs from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { certificatePin, makeSelfSigned } from "@holdfast/shared/node";
import { fetchFromControlPlane } from "./fetch-from-control-plane.js";

// holdfast-agent upgrade against a control plane with a self-signed certificate: trusted through
// the identity's pins (as the link is), refused under another pin before any request is sent.

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "holdfast-fetch-cp-"));
const { certFile, keyFile } = makeSelfSigned(tmp, "cp");
const pin = certificatePin(new X509Certificate(fs.readFileSync(certFile)));
const requests: string[] = [];
let server: https.Server;
let serverUrl: string;

beforeAll(async () => {
  server = https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }, (req, res) => {
    requests.push(req.url ?? "");
    res.end(JSON.stringify({ served: req.url }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  serverUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

it("reaches a self-signed control plane through its pin", async () => {
  const res = await fetchFromControlPlane({ serverUrl, pins: [pin] }, "/install/manifest.json", 10_000);
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ served: "/install/manifest.json" });
});

it("refuses a server matching none of the pins, sending nothing", async () => {
  const before = requests.length;
  const wrong = `sha256:${Buffer.alloc(32, 7).toString("base64")}`;
  await expect(fetchFromControlPlane({ serverUrl, pins: [wrong] }, "/install/manifest.json", 10_000)).rejects.toMatchObject({ code: "TLS_PIN_MISMATCH" });
  expect(requests.length).toBe(before);
});
