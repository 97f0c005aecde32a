import fs from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { HoldfastError } from "@holdfast/shared";
import { certificatePin, certificatesOfPem, makeCaChain, makeSelfSigned } from "@holdfast/shared/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { ServerTrust } from "./server-trust.js";

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hf-trust-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const pinOf = (file: string, i = 0) => certificatePin(certificatesOfPem(fs.readFileSync(file, "utf8"))[i]!);
const pin = (c: string) => `sha256:${c.repeat(43)}=`;

describe("the plain-transport rule", () => {
  it("allows http:// to loopback, refuses it to another host unless enrolled with --insecure", () => {
    expect(() => new ServerTrust("http://127.0.0.1:8080", [], false).checkTransport()).not.toThrow();
    expect(() => new ServerTrust("http://[::1]:8080", [], false).checkTransport()).not.toThrow();
    expect(() => new ServerTrust("http://localhost:8080", [], false).checkTransport()).not.toThrow();
    const refused = (() => {
      try {
        new ServerTrust("http://10.1.2.3:8080", [], false).connectOptions();
      } catch (err) {
        return err;
      }
    })();
    expect(refused).toBeInstanceOf(HoldfastError);
    expect((refused as HoldfastError).code).toBe("INSECURE_TRANSPORT");
    expect(() => new ServerTrust("http://10.1.2.3:8080", [], true).checkTransport()).not.toThrow();
    expect(() => new ServerTrust("https://10.1.2.3", [], false).checkTransport()).not.toThrow();
    expect(() => new ServerTrust("http://127.9.9.9:8080", [], false).checkTransport()).not.toThrow();
  });
});

describe("addPins", () => {
  it("keeps old pins, adds new ones once, and at the cap drops first those the server no longer sends", () => {
    const trust = new ServerTrust("https://cp", [pin("A")], false);
    expect(trust.addPins([pin("A"), pin("B")])).toEqual([pin("B")]);
    expect(trust.addPins([pin("A"), pin("B")])).toEqual([]);
    expect(trust.pins).toEqual([pin("A"), pin("B")]);
    const many = "CDEFGHIJKL".split("").map(pin);
    trust.addPins([pin("B"), ...many.slice(0, 8)]);
    expect(trust.pins).toHaveLength(10);
    // Full: the next new pin pushes out A (no longer sent), not B (still sent).
    trust.addPins([pin("B"), pin("M")]);
    expect(trust.pins).toContain(pin("B"));
    expect(trust.pins).toContain(pin("M"));
    expect(trust.pins).not.toContain(pin("A"));
    expect(trust.pins).toHaveLength(10);
  });
});

describe("a pinned connection", () => {
  async function serve(certFile: string, keyFile: string) {
    const seen: string[] = [];
    const server = https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }, (req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ""}`);
      res.end("ok");
    });
    const wss = new WebSocketServer({ server });
    wss.on("connection", (ws, req) => {
      seen.push(`ws ${req.headers.authorization ?? ""}`);
      ws.send("hello");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return { url, seen, close: () => new Promise<void>((r) => { wss.close(); server.closeAllConnections(); server.close(() => r()); }) };
  }

  function get(url: string, trust: ServerTrust): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = https.request(`${url}/x`, { ...trust.connectOptions(), headers: { authorization: "Bearer secret" } }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve(body));
      });
      req.on("error", reject);
      req.end();
    });
  }

  it("accepts a self-signed server by its pin, for HTTP and WebSocket alike", async () => {
    const { certFile, keyFile } = makeSelfSigned(dir, "srv");
    const server = await serve(certFile, keyFile);
    try {
      const trust = new ServerTrust(server.url, [pinOf(certFile)], false);
      expect(await get(server.url, trust)).toBe("ok");
      const ws = new WebSocket(server.url.replace("https", "wss"), { ...trust.connectOptions(), headers: { authorization: "Bearer jwt" } });
      const first = await new Promise<string>((resolve, reject) => {
        ws.once("message", (d) => resolve(d.toString()));
        ws.once("error", reject);
      });
      ws.close();
      expect(first).toBe("hello");
      expect(server.seen).toEqual(["GET /x Bearer secret", "ws Bearer jwt"]);
    } finally {
      await server.close();
    }
  });

  it("accepts a server whose leaf the pinned CA signed", async () => {
    const { chainFile, keyFile, caFile } = makeCaChain(dir, "cas");
    const server = await serve(chainFile, keyFile);
    try {
      expect(await get(server.url, new ServerTrust(server.url, [pinOf(caFile)], false))).toBe("ok");
    } finally {
      await server.close();
    }
  });

  it("refuses a server matching no pin with TLS_PIN_MISMATCH naming both, before the request or the upgrade leaves", async () => {
    const { certFile, keyFile } = makeSelfSigned(dir, "wrong");
    const server = await serve(certFile, keyFile);
    try {
      const trust = new ServerTrust(server.url, [pin("Q")], false);
      const err = (await get(server.url, trust).catch((e: unknown) => e)) as HoldfastError;
      expect(err.code).toBe("TLS_PIN_MISMATCH");
      expect(err.details).toEqual({ expected: [pin("Q")], seen: [pinOf(certFile)] });
      expect(err.message).toContain(pinOf(certFile));
      const ws = new WebSocket(server.url.replace("https", "wss"), { ...trust.connectOptions(), headers: { authorization: "Bearer jwt" } });
      const wsErr = await new Promise<unknown>((resolve) => ws.once("error", resolve));
      expect((wsErr as HoldfastError).code).toBe("TLS_PIN_MISMATCH");
      expect(server.seen).toEqual([]);
    } finally {
      await server.close();
    }
  });
});
