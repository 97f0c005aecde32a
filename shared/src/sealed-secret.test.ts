import { describe, expect, it } from "vitest";
import { packSealed, SealedSecretText, unpackSealed } from "./sealed-secret.js";

describe("sealed secret format", () => {
  it("packs nonce, ciphertext and tag as v1.<base64url> and unpacks them again", () => {
    const parts = { nonce: new Uint8Array(12).fill(1), ciphertext: Uint8Array.from([0xfb, 0xff, 0x00, 0x3e]), tag: new Uint8Array(16).fill(0xfe) };
    const sealed = packSealed(parts);
    expect(SealedSecretText.safeParse(sealed).success).toBe(true);
    expect(sealed).not.toMatch(/[+/=]/);
    const back = unpackSealed(sealed)!;
    expect([back.nonce, back.ciphertext, back.tag].map((b) => Array.from(b))).toEqual([parts.nonce, parts.ciphertext, parts.tag].map((b) => Array.from(b)));
  });

  it("refuses what is not one", () => {
    for (const bad of ["", "v1.", "v2.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "v1.AAAA", "v1.a+b/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "plain"]) expect(unpackSealed(bad), bad).toBeNull();
  });
});
