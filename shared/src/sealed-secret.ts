import { z } from "zod";

/**
 * How a secret is sealed at rest, on the agent (datasource passwords) and on the control plane
 * (destination credentials): AES-256-GCM under a 32-byte key, a fresh random 96-bit nonce per seal,
 * the owning row's id as associated data (a value copied onto another row does not open), written as
 * `v1.` + base64url(nonce ‖ ciphertext ‖ 128-bit tag). The cipher runs in each package (Node's
 * OpenSSL; docs/decisions.md, "Sealed secrets"); the format is defined here once.
 */
export const SEALED_SECRET = { version: "v1", algorithm: "aes-256-gcm", keyBytes: 32, nonceBytes: 12, tagBytes: 16 } as const;

/** A sealed value as stored. */
export const SealedSecretText = z.string().regex(/^v1\.[A-Za-z0-9_-]+$/, "must be a sealed secret (v1.…)");

export interface SealedParts {
  nonce: Uint8Array;
  ciphertext: Uint8Array;
  tag: Uint8Array;
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null;
  const binary = atob(text.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export function packSealed(parts: SealedParts): string {
  const { nonce, ciphertext, tag } = parts;
  const raw = new Uint8Array(nonce.length + ciphertext.length + tag.length);
  raw.set(nonce, 0);
  raw.set(ciphertext, nonce.length);
  raw.set(tag, nonce.length + ciphertext.length);
  return `${SEALED_SECRET.version}.${toBase64Url(raw)}`;
}

/** The parts of a sealed value, or null when it is not one (another version, too short, not base64url). */
export function unpackSealed(sealed: string): SealedParts | null {
  const dot = sealed.indexOf(".");
  if (dot < 0 || sealed.slice(0, dot) !== SEALED_SECRET.version) return null;
  const raw = fromBase64Url(sealed.slice(dot + 1));
  const { nonceBytes, tagBytes } = SEALED_SECRET;
  if (!raw || raw.length < nonceBytes + tagBytes) return null;
  return {
    nonce: raw.subarray(0, nonceBytes),
    ciphertext: raw.subarray(nonceBytes, raw.length - tagBytes),
    tag: raw.subarray(raw.length - tagBytes),
  };
}
