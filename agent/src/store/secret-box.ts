import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";

export const SECRET_KEY_FILE = "secret.key";

/** How a secret sits in SQLite: AES-256-GCM, a fresh 12-byte nonce per value, all base64. */
export const SealedSecret = z.object({ v: z.literal(1), iv: z.string(), tag: z.string(), ct: z.string() }).strict();
export type SealedSecret = z.infer<typeof SealedSecret>;

/**
 * Loads `<dataDir>/secret.key` (32 random bytes, 0600), creating it on first use with O_EXCL so two
 * processes racing at first start agree on one key. The key never leaves the host.
 */
function loadOrCreateKey(dataDir: string): Buffer {
  const file = path.join(dataDir, SECRET_KEY_FILE);
  try {
    const fd = fs.openSync(file, "wx", 0o600);
    try {
      fs.writeSync(fd, randomBytes(32));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const key = fs.readFileSync(file);
  if (key.length !== 32) throw new Error(`${file} must hold exactly 32 bytes`);
  return key;
}

/** Encrypts secrets at rest; the AAD binds each value to its row, so a ciphertext cannot be moved to another datasource. */
export class SecretBox {
  private key: Buffer | undefined;

  constructor(private readonly dataDir: string) {}

  private getKey(): Buffer {
    this.key ??= loadOrCreateKey(this.dataDir);
    return this.key;
  }

  seal(plaintext: string, aad: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.getKey(), iv);
    cipher.setAAD(Buffer.from(aad, "utf8"));
    const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return { v: 1, iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64"), ct: ct.toString("base64") };
  }

  open(sealed: SealedSecret, aad: string): string {
    const decipher = createDecipheriv("aes-256-gcm", this.getKey(), Buffer.from(sealed.iv, "base64"));
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
    return Buffer.concat([decipher.update(Buffer.from(sealed.ct, "base64")), decipher.final()]).toString("utf8");
  }
}
