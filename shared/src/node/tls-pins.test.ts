import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeCaChain, makeSelfSigned } from "./test-certificates.js";
import { certificatePin, certificatesOfPem, pinsOfChain, verifyPinnedChain } from "./tls-pins.js";

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "hf-pins-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const chainOf = (file: string) => certificatesOfPem(fs.readFileSync(file, "utf8"));

describe("certificatePin", () => {
  it("is the base64 SHA-256 of the DER SubjectPublicKeyInfo: what openssl (and so curl) computes", () => {
    const { certFile } = makeSelfSigned(dir, "one");
    const der = execFileSync("openssl", ["x509", "-in", certFile, "-pubkey", "-noout"]);
    const spki = execFileSync("openssl", ["pkey", "-pubin", "-outform", "der"], { input: der });
    const digest = execFileSync("openssl", ["dgst", "-sha256", "-binary"], { input: spki }).toString("base64");
    expect(certificatePin(chainOf(certFile)[0]!)).toBe(`sha256:${digest}`);
  });

  it("labels a chain file's certificates leaf, then CA", () => {
    const { chainFile } = makeCaChain(dir, "labelled");
    expect(pinsOfChain(chainOf(chainFile)).map((p) => p.role)).toEqual(["leaf", "CA"]);
  });
});

describe("verifyPinnedChain", () => {
  it("accepts a self-signed leaf by its own pin, whatever the name, and refuses another pin showing what it saw", () => {
    const { certFile } = makeSelfSigned(dir, "self");
    const chain = chainOf(certFile);
    const pin = certificatePin(chain[0]!);
    expect(verifyPinnedChain(chain, [pin], "some.other.name")).toEqual({ ok: true, matched: pin });
    const other = certificatePin(chainOf(makeSelfSigned(dir, "other").certFile)[0]!);
    expect(verifyPinnedChain(chain, [other], "127.0.0.1")).toMatchObject({ ok: false, seen: [pin] });
  });

  it("accepts a leaf signed by the pinned CA only for a name the leaf carries", () => {
    const { chainFile } = makeCaChain(dir, "ca1");
    const chain = chainOf(chainFile);
    const caPin = certificatePin(chain[1]!);
    expect(verifyPinnedChain(chain, [caPin], "127.0.0.1")).toEqual({ ok: true, matched: caPin });
    expect(verifyPinnedChain(chain, [caPin], "evil.example")).toMatchObject({ ok: false });
  });

  it("refuses a leaf that merely carries the pinned CA's (public) certificate without being signed by it", () => {
    const real = makeCaChain(dir, "real");
    const fake = makeSelfSigned(dir, "impostor");
    const forged = [...chainOf(fake.certFile), chainOf(real.caFile)[0]!];
    const caPin = certificatePin(chainOf(real.caFile)[0]!);
    const verdict = verifyPinnedChain(forged, [caPin], "127.0.0.1");
    expect(verdict).toMatchObject({ ok: false });
    expect(verdict.ok ? "" : verdict.reason).toMatch(/not signed/);
  });

  it("refuses a pinned certificate that expired", () => {
    const { certFile } = makeSelfSigned(dir, "expiring");
    const chain = chainOf(certFile);
    const later = new Date(Date.now() + 10 * 86_400_000);
    expect(verifyPinnedChain(chain, [certificatePin(chain[0]!)], "127.0.0.1", later)).toMatchObject({ ok: false });
  });
});
