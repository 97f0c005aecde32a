import { createHash, X509Certificate } from "node:crypto";
import type { DetailedPeerCertificate } from "node:tls";

/**
 * `sha256:<base64>` of a certificate's DER SubjectPublicKeyInfo: the pin format of identity.pins and of
 * curl's --pinnedpubkey. Kept in this one function so it can later point at the shared implementation.
 */
export function spkiPinOf(der: Buffer): string {
  const spki = new X509Certificate(der).publicKey.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(spki).digest("base64")}`;
}

/** The pins of every certificate the peer presented, leaf first (a self-signed root ends the walk). */
export function chainPins(leaf: DetailedPeerCertificate): string[] {
  const pins: string[] = [];
  const seen = new Set<DetailedPeerCertificate>();
  for (let cert: DetailedPeerCertificate | undefined = leaf; cert?.raw && !seen.has(cert); cert = cert.issuerCertificate) {
    seen.add(cert);
    pins.push(spkiPinOf(cert.raw));
  }
  return pins;
}
