import fs from "node:fs";
import path from "node:path";
import { createPrivateKey, webcrypto } from "node:crypto";
import type { CryptoKey } from "jose";
import { AGENT_JWT, Ed25519PublicJwk } from "@holdfast/shared/protocol";
import { ensurePrivateDir } from "../fs-safe.js";

export const PRIVATE_KEY_FILE = "agent.key";

export interface AgentKeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
}

/**
 * A fresh Ed25519 pair; extractable because the private half must be written to the data dir. jose
 * is loaded here, on use, by enrollment only: `run` reads the key and signs with node:crypto.
 */
export async function generateKeyPair(): Promise<AgentKeyPair> {
  const { generateKeyPair: joseGenerateKeyPair } = await import("jose");
  const { privateKey, publicKey } = await joseGenerateKeyPair(AGENT_JWT.alg, { crv: "Ed25519", extractable: true });
  return { privateKey, publicKey };
}

export async function exportPublicJwk(publicKey: CryptoKey): Promise<Ed25519PublicJwk> {
  const { exportJWK } = await import("jose");
  return Ed25519PublicJwk.parse(await exportJWK(publicKey));
}

/**
 * Writes the private key as PKCS#8 PEM, mode 0600, with O_EXCL ('wx'): an existing key is never
 * overwritten and a symlink planted at that name is never followed. The data dir is made 0700.
 */
export async function writePrivateKey(dataDir: string, privateKey: CryptoKey): Promise<string> {
  ensurePrivateDir(dataDir);
  const file = path.join(dataDir, PRIVATE_KEY_FILE);
  const { exportPKCS8 } = await import("jose");
  const pem = await exportPKCS8(privateKey);
  const handle = await fs.promises.open(file, "wx", 0o600);
  try {
    await handle.writeFile(pem, "utf8");
    await handle.sync();
  } finally {
    await handle.close();
  }
  return file;
}

export async function readPrivateKey(dataDir: string): Promise<CryptoKey> {
  const pem = await fs.promises.readFile(path.join(dataDir, PRIVATE_KEY_FILE), "utf8");
  // As jose's importPKCS8 for EdDSA does: a non-extractable Ed25519 signing key.
  const der = createPrivateKey(pem).export({ format: "der", type: "pkcs8" });
  return webcrypto.subtle.importKey("pkcs8", der, { name: "Ed25519" }, false, ["sign"]) as Promise<CryptoKey>;
}
