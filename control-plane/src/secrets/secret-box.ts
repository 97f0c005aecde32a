import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { HoldfastError, packSealed, SEALED_SECRET, unpackSealed } from "@holdfast/shared";

const { algorithm, keyBytes, nonceBytes, tagBytes } = SEALED_SECRET;

/**
 * Seals small secrets (destination credentials) under the master key, in shared's one format
 * (`SEALED_SECRET`): the `context` (the owning row's id) is bound as associated data, so a sealed
 * value copied onto another row does not open there.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== keyBytes) throw new Error(`the master key must be ${keyBytes} bytes`);
    this.#key = Buffer.from(key);
  }

  seal(plaintext: string, context: string): string {
    const nonce = randomBytes(nonceBytes);
    const cipher = createCipheriv(algorithm, this.#key, nonce, { authTagLength: tagBytes });
    cipher.setAAD(Buffer.from(context, "utf8"));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return packSealed({ nonce, ciphertext, tag: cipher.getAuthTag() });
  }

  /** The plaintext, or INTERNAL_ERROR when the value was sealed under another key or context, or altered. */
  open(sealed: string, context: string): string {
    const parts = unpackSealed(sealed);
    if (!parts) throw unreadable();
    try {
      const decipher = createDecipheriv(algorithm, this.#key, parts.nonce, { authTagLength: tagBytes });
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(parts.tag);
      return Buffer.concat([decipher.update(parts.ciphertext), decipher.final()]).toString("utf8");
    } catch {
      throw unreadable();
    }
  }
}

function unreadable(): HoldfastError {
  return new HoldfastError(
    "INTERNAL_ERROR",
    "Stored credentials cannot be decrypted: the master key (HOLDFAST_MASTER_KEY or master.key) is not the one they were sealed with",
    undefined,
    false,
  );
}
