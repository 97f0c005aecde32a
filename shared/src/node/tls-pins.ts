import { createHash, type KeyObject, X509Certificate } from "node:crypto";
import { checkServerIdentity, type PeerCertificate } from "node:tls";
import type { TlsPin } from "../protocol/tls-pins.js";

/** THE pin of a public key: sha256 of its DER SubjectPublicKeyInfo, base64 (agent and control plane share this one definition). */
export function publicKeyPin(key: KeyObject): TlsPin {
  const der = key.export({ type: "spki", format: "der" });
  return `sha256:${createHash("sha256").update(der).digest("base64")}`;
}

export function certificatePin(cert: X509Certificate): TlsPin {
  return publicKeyPin(cert.publicKey);
}

/** Every certificate of a PEM file, in file order (leaf first for a server's chain). */
export function certificatesOfPem(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

export type ChainRole = "leaf" | "intermediate" | "CA";

export interface ChainPin {
  role: ChainRole;
  subject: string;
  pin: TlsPin;
}

/** The pin of each certificate of a chain, labelled: the first is the leaf, a self-issued last one the CA. */
export function pinsOfChain(chain: readonly X509Certificate[]): ChainPin[] {
  return chain.map((cert, i) => ({
    role: i === 0 ? "leaf" : i === chain.length - 1 && cert.checkIssued(cert) ? "CA" : "intermediate",
    subject: cert.subject.replaceAll("\n", ", "),
    pin: certificatePin(cert),
  }));
}

/** The peer's chain as the TLS socket received it, leaf first, each certificate once. */
export function peerChain(peer: PeerCertificate & { issuerCertificate?: PeerCertificate }): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let cur: (PeerCertificate & { issuerCertificate?: PeerCertificate }) | undefined = peer;
  while (cur?.raw && !seen.has(cur.fingerprint256) && chain.length < 16) {
    seen.add(cur.fingerprint256);
    chain.push(new X509Certificate(cur.raw));
    cur = cur.issuerCertificate;
  }
  return chain;
}

export type PinVerdict = { ok: true; matched: TlsPin } | { ok: false; seen: TlsPin[]; reason: string };

/**
 * Whether a server's chain is trusted by a pin. A pinned certificate alone proves nothing (a CA's
 * certificate is public: anyone can append it to their chain), so the chain from the leaf up to the
 * pinned certificate must be signed link by link, and the leaf be valid now; the TLS handshake
 * proved the server holds the leaf's key. A pinned leaf needs no name check (a self-signed
 * certificate for an address); a pinned CA or intermediate vouches for other names too, so the leaf
 * must name `hostname`.
 */
export function verifyPinnedChain(chain: readonly X509Certificate[], pins: readonly TlsPin[], hostname: string, now = new Date()): PinVerdict {
  const seen = chain.map(certificatePin);
  const wanted = new Set(pins);
  const leaf = chain[0];
  if (!leaf) return { ok: false, seen, reason: "the server sent no certificate" };
  const index = seen.findIndex((pin) => wanted.has(pin));
  if (index < 0) return { ok: false, seen, reason: "no certificate of the server's chain matches a pin" };
  for (let i = 0; i < index; i++) {
    const cert = chain[i]!;
    const issuer = chain[i + 1]!;
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) {
      return { ok: false, seen, reason: `the chain is broken: "${cert.subject.replaceAll("\n", ", ")}" is not signed by the next certificate` };
    }
  }
  for (const cert of chain.slice(0, index + 1)) {
    if (new Date(cert.validFrom) > now || new Date(cert.validTo) < now) {
      return { ok: false, seen, reason: `the certificate "${cert.subject.replaceAll("\n", ", ")}" is not valid now (${cert.validFrom} to ${cert.validTo})` };
    }
  }
  if (index > 0) {
    const nameError = checkServerIdentity(hostname.replace(/^\[|\]$/g, ""), leaf.toLegacyObject());
    if (nameError) return { ok: false, seen, reason: nameError.message };
  }
  return { ok: true, matched: seen[index]! };
}
