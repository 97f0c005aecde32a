import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { HoldfastError } from "@holdfast/shared";

const VERSION = "v1";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Seals small secrets (destination credentials) with AES-256-GCM under the master key. Each seal
 * takes a fresh random nonce; the `context` (the owning row's id) is bound as associated data, so a
 * sealed value copied onto another row does not open there. Output: `v1.<base64url(nonce|ct|tag)>`.
 */
export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error("the master key must be 32 bytes");
    this.#key = Buffer.from(key);
  }

  seal(plaintext: string, context: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return `${VERSION}.${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString("base64url")}`;
  }

  /** The plaintext, or INTERNAL_ERROR when the value was sealed under another key or context, or altered. */
  open(sealed: string, context: string): string {
    const [version, payload] = sealed.split(".");
    const raw = Buffer.from(payload ?? "", "base64url");
    if (version !== VERSION || raw.length < NONCE_BYTES + TAG_BYTES) throw unreadable();
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, raw.subarray(0, NONCE_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(NONCE_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString("utf8");
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
