import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

export function sha256Hex(input: string | Buffer): string {
  return createHash("sha256").update(input).digest("hex");
}

/** Compares two secrets (or their hashes) without leaking where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

/** RFC 4648 base32, lower case, no padding: easy to read aloud and to paste, safe in any shell. */
export function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

/** A fresh secret of 32 random bytes with a scannable prefix (`hf_api_…`), for leak scanners. */
export function newSecret(prefix: string, encoding: "base32" | "base64url" = "base64url"): string {
  const bytes = randomBytes(32);
  return prefix + (encoding === "base32" ? base32(bytes) : bytes.toString("base64url"));
}
