import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { packSealed, SEALED_SECRET, SealedSecretText, type SealedParts, unpackSealed } from "@holdfast/shared/protocol";
import { z } from "zod";

export const SECRET_KEY_FILE = "secret.key";

const { algorithm, keyBytes, nonceBytes, tagBytes } = SEALED_SECRET;

/** How agents before the shared format sealed a value: a JSON object of base64 fields. Still opened, never written. */
const LegacySealedSecret = z.object({ v: z.literal(1), iv: z.string(), tag: z.string(), ct: z.string() }).strict();

/** A sealed secret as the store may hold it: shared's format, or the legacy object of older agents. */
export const SealedSecret = z.union([SealedSecretText, LegacySealedSecret]);
export type SealedSecret = z.infer<typeof SealedSecret>;

function partsOf(sealed: SealedSecret): SealedParts {
  if (typeof sealed !== "string") {
    return { nonce: Buffer.from(sealed.iv, "base64"), ciphertext: Buffer.from(sealed.ct, "base64"), tag: Buffer.from(sealed.tag, "base64") };
  }
  const parts = unpackSealed(sealed);
  if (!parts) throw new Error("not a sealed secret");
  return parts;
}

/**
 * Loads `<dataDir>/secret.key` (32 random bytes, 0600), creating it on first use with O_EXCL so two
 * processes racing at first start agree on one key. The key never leaves the host.
 */
function loadOrCreateKey(dataDir: string): Buffer {
  const file = path.join(dataDir, SECRET_KEY_FILE);
  try {
    const fd = fs.openSync(file, "wx", 0o600);
    try {
      fs.writeSync(fd, randomBytes(keyBytes));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  }
  const key = fs.readFileSync(file);
  if (key.length !== keyBytes) throw new Error(`${file} must hold exactly ${keyBytes} bytes`);
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

  /** Shared's format (`SEALED_SECRET`), the row id as associated data. */
  seal(plaintext: string, aad: string): string {
    const nonce = randomBytes(nonceBytes);
    const cipher = createCipheriv(algorithm, this.getKey(), nonce, { authTagLength: tagBytes });
    cipher.setAAD(Buffer.from(aad, "utf8"));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return packSealed({ nonce, ciphertext, tag: cipher.getAuthTag() });
  }

  open(sealed: SealedSecret, aad: string): string {
    const { nonce, ciphertext, tag } = partsOf(sealed);
    const decipher = createDecipheriv(algorithm, this.getKey(), nonce, { authTagLength: tagBytes });
    decipher.setAAD(Buffer.from(aad, "utf8"));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
  }
}
