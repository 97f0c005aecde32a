import { z } from "zod";

/**
 * A TLS pin: `sha256:` and the base64 of the SHA-256 of a certificate's DER SubjectPublicKeyInfo,
 * the same bytes curl's `--pinnedpubkey sha256//<base64>` checks. Browser-safe: computing one needs
 * node:crypto and lives in `@holdfast/shared/node`.
 */
export const TlsPin = z.string().regex(/^sha256:[A-Za-z0-9+/]{43}=$/, "must be sha256: and the base64 of a SHA-256 (holdfast ca-pin prints it)");
export type TlsPin = z.infer<typeof TlsPin>;

/** How many pins an agent keeps: old ones are dropped (those the server no longer sends first) past this. */
export const MAX_AGENT_PINS = 10;

/** curl's spelling of a pin (`--pinnedpubkey sha256//…`); several are joined with `;`. */
export function curlPin(pin: TlsPin): string {
  return `sha256//${pin.slice("sha256:".length)}`;
}
