import fs from "node:fs";
import { createPrivateKey, createPublicKey, type KeyObject, type X509Certificate } from "node:crypto";
import { HoldfastError } from "@holdfast/shared";
import { certificatesOfPem } from "@holdfast/shared/node";

/** A certificate chain and its key as read from HOLDFAST_TLS_CERT / _KEY, checked to belong together. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  /** Leaf first, as the file holds them. */
  chain: X509Certificate[];
}

// A PEM file of a chain or a key is a few KB; a bound keeps a wrong path (a disk image) from being slurped.
const MAX_PEM_BYTES = 1_000_000;

function readPem(file: string, setting: string): Buffer {
  let bytes: Buffer;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new Error("not a regular file");
    if (stat.size > MAX_PEM_BYTES) throw new Error(`larger than ${MAX_PEM_BYTES} bytes: not a PEM file`);
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new HoldfastError("VALIDATION_FAILED", `${setting} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { setting, file });
  }
  return bytes;
}

/** A private key file: its key, or VALIDATION_FAILED naming the file. */
export function readPrivateKey(file: string, setting: string): KeyObject {
  const pem = readPem(file, setting);
  try {
    return createPrivateKey(pem);
  } catch (err) {
    throw new HoldfastError("VALIDATION_FAILED", `${setting} ${file}: not a PEM private key (${(err as Error).message})`, { setting, file });
  }
}

/**
 * Reads and checks the certificate chain and the key. A file that is missing, unreadable, not PEM,
 * or a key that does not match the leaf stops with one message naming the file: a server that
 * started would only fail every handshake.
 */
export function loadTlsMaterial(tls: { certFile: string; keyFile: string }): TlsMaterial {
  const cert = readPem(tls.certFile, "HOLDFAST_TLS_CERT");
  let chain: X509Certificate[];
  try {
    chain = certificatesOfPem(cert.toString("utf8"));
  } catch (err) {
    throw new HoldfastError("VALIDATION_FAILED", `HOLDFAST_TLS_CERT ${tls.certFile}: a certificate in it does not parse (${(err as Error).message})`, { file: tls.certFile });
  }
  if (chain.length === 0) throw new HoldfastError("VALIDATION_FAILED", `HOLDFAST_TLS_CERT ${tls.certFile}: no PEM certificate in it`, { file: tls.certFile });
  const key = readPem(tls.keyFile, "HOLDFAST_TLS_KEY");
  const privateKey = readPrivateKey(tls.keyFile, "HOLDFAST_TLS_KEY");
  const leaf = chain[0]!;
  const spki = (k: KeyObject) => k.export({ type: "spki", format: "der" });
  if (!spki(createPublicKey(privateKey)).equals(spki(leaf.publicKey))) {
    throw new HoldfastError("VALIDATION_FAILED", `HOLDFAST_TLS_KEY ${tls.keyFile}: this key does not belong to the first certificate of ${tls.certFile}`, { file: tls.keyFile });
  }
  return { cert, key, chain };
}
