import fs from "node:fs";
import type { IncomingMessage } from "node:http";
import os from "node:os";
import path from "node:path";
import { HoldfastError } from "@holdfast/shared";
import { certificatePin, certificatesOfPem, makeCaChain, makeKey, makeSelfSigned } from "@holdfast/shared/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTrustedProxies } from "../http/client-address.js";
import { createLogger } from "../logger.js";
import { linkSecurityOf } from "./link-security.js";
import { computeServerPins, curlPins, enrollmentPins, pinsToPush } from "./server-pins.js";
import { loadTlsMaterial } from "./tls-files.js";
import { TlsRuntime } from "./tls-runtime.js";

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hf-cp-tls-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const pinsIn = (file: string) => certificatesOfPem(fs.readFileSync(file, "utf8")).map(certificatePin);
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err as HoldfastError;
  }
  throw new Error("expected a refusal");
};

describe("loadTlsMaterial", () => {
  it("names the file that is missing, not PEM, or a key that is not the certificate's", () => {
    const { certFile, keyFile } = makeSelfSigned(dir, "a");
    expect(loadTlsMaterial({ certFile, keyFile }).chain).toHaveLength(1);
    expect(refusal(() => loadTlsMaterial({ certFile: path.join(dir, "none.crt"), keyFile })).message).toBe(`HOLDFAST_TLS_CERT ${path.join(dir, "none.crt")}: ENOENT`);
    const garbage = path.join(dir, "garbage.pem");
    fs.writeFileSync(garbage, "not a certificate\n");
    expect(refusal(() => loadTlsMaterial({ certFile: garbage, keyFile })).message).toContain(`HOLDFAST_TLS_CERT ${garbage}: no PEM certificate`);
    expect(refusal(() => loadTlsMaterial({ certFile, keyFile: garbage })).message).toContain(`HOLDFAST_TLS_KEY ${garbage}: not a PEM private key`);
    const other = makeKey(path.join(dir, "other.key"));
    const wrong = refusal(() => loadTlsMaterial({ certFile, keyFile: other }));
    expect(wrong.code).toBe("VALIDATION_FAILED");
    expect(wrong.message).toContain(`HOLDFAST_TLS_KEY ${other}: this key does not belong`);
  });
});

describe("the pins the control plane hands out", () => {
  it("gives agents the top of the chain, curl the leaf, and pushes every pin plus the next key's", () => {
    const { chainFile, keyFile } = makeCaChain(dir, "chain");
    const [leaf, ca] = pinsIn(chainFile);
    const nextKey = makeKey(path.join(dir, "next.key"));
    const nextPin = pinsIn(makeSelfSigned(dir, "next", nextKey).certFile)[0];
    const pins = computeServerPins(loadTlsMaterial({ certFile: chainFile, keyFile }), nextKey, []);
    expect(pins.chain.map((p) => [p.role, p.pin])).toEqual([["leaf", leaf], ["CA", ca]]);
    expect(enrollmentPins(pins)).toEqual([ca]);
    expect(curlPins(pins)).toBe(`sha256//${leaf!.slice(7)};sha256//${nextPin!.slice(7)}`);
    expect(pinsToPush(pins)).toEqual([leaf, ca, nextPin]);
  });

  it("behind a proxy: only the published pins", () => {
    const published = [`sha256:${"A".repeat(43)}=`];
    const pins = computeServerPins(null, undefined, published);
    expect(enrollmentPins(pins)).toEqual(published);
    expect(curlPins(pins)).toBe(`sha256//${"A".repeat(43)}=`);
    expect(curlPins(computeServerPins(null, undefined, []))).toBeNull();
  });
});

describe("TlsRuntime.reload", () => {
  it("takes renewed files, and keeps the running certificate when the new files are wrong", () => {
    const first = makeSelfSigned(dir, "first");
    const certFile = path.join(dir, "served.crt");
    const keyFile = path.join(dir, "served.key");
    fs.copyFileSync(first.certFile, certFile);
    fs.copyFileSync(first.keyFile, keyFile);
    const runtime = new TlsRuntime({ tls: { certFile, keyFile, nextKeyFile: undefined }, publicPins: [] });
    const log = createLogger("silent");
    const second = makeSelfSigned(dir, "second");
    fs.copyFileSync(second.certFile, certFile);
    // The key is still the old one: refused, the first certificate stays.
    expect(runtime.reload(null, log)).toBe(false);
    expect(runtime.pins.chain[0]?.pin).toBe(pinsIn(first.certFile)[0]);
    fs.copyFileSync(second.keyFile, keyFile);
    expect(runtime.reload(null, log)).toBe(true);
    expect(runtime.pins.chain[0]?.pin).toBe(pinsIn(second.certFile)[0]);
  });
});

describe("linkSecurityOf", () => {
  const req = (remoteAddress: string, encrypted: boolean, headers: Record<string, string> = {}) => ({ socket: { remoteAddress, encrypted }, headers }) as unknown as IncomingMessage;
  it("is tls over TLS or from a trusted proxy saying https, loopback for plain local, else insecure", () => {
    const proxies = parseTrustedProxies("10.0.0.1");
    expect(linkSecurityOf(req("10.9.9.9", true), null)).toBe("tls");
    expect(linkSecurityOf(req("10.0.0.1", false, { "x-forwarded-proto": "https", "x-forwarded-for": "10.9.9.9" }), proxies)).toBe("tls");
    expect(linkSecurityOf(req("10.9.9.9", false, { "x-forwarded-proto": "https" }), proxies)).toBe("insecure");
    expect(linkSecurityOf(req("127.0.0.1", false), null)).toBe("loopback");
    expect(linkSecurityOf(req("::ffff:127.0.0.1", false), null)).toBe("loopback");
    expect(linkSecurityOf(req("10.0.0.1", false, { "x-forwarded-proto": "http" }), proxies)).toBe("insecure");
    expect(linkSecurityOf(req("192.0.2.4", false), null)).toBe("insecure");
  });
});
