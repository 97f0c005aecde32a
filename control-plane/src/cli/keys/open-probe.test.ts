import { Encrypter, generateX25519Identity, identityToRecipient } from "age-encryption";
import { describe, expect, it } from "vitest";
import { probeDecrypt, PROBE_BYTES } from "./open-probe.js";

async function sealed(size: number) {
  const identity = await generateX25519Identity();
  const e = new Encrypter();
  e.addRecipient(await identityToRecipient(identity));
  const plain = new Uint8Array(size).map((_, i) => i % 251);
  return { identity, file: await e.encrypt(plain) };
}

describe("keys test's probe", () => {
  it("opens the beginning of a large file with its key, reading one chunk and no more", async () => {
    const { identity, file } = await sealed(1024 * 1024);
    const verdict = await probeDecrypt(file.subarray(0, PROBE_BYTES), identity);
    expect(verdict).toEqual({ opens: true, plaintextBytes: 64 * 1024 });
  });

  it("opens a small file whole", async () => {
    const { identity, file } = await sealed(1000);
    expect(await probeDecrypt(file, identity)).toEqual({ opens: true, plaintextBytes: 1000 });
  });

  it("says no for another key", async () => {
    const { file } = await sealed(1000);
    const verdict = await probeDecrypt(file, await generateX25519Identity());
    expect(verdict.opens).toBe(false);
  });

  it("says no when the first chunk was altered, though the header opens", async () => {
    const { identity, file } = await sealed(200 * 1024);
    const bent = file.slice(0, PROBE_BYTES);
    bent[1000]! ^= 1; // past the header (some 200 bytes) and the nonce: inside the first chunk
    const verdict = await probeDecrypt(bent, identity);
    expect(verdict).toMatchObject({ opens: false, why: expect.stringMatching(/first chunk/) });
  });
});
