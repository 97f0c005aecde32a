import { Duplex, PassThrough, Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { HoldfastError } from "@holdfast/shared/protocol";
import { AGE_BIN, ageEncryptChild, ageToolAvailable } from "./age-tool.js";
import type { CodecStage, CodecTools } from "./codec.js";
import { PIPELINE_CHUNK_BYTES } from "./chunk-size.js";

/** Loaded on first use: most agents never encrypt, and the library costs the idle agent several MiB. */
const loadAge = () => import("age-encryption");

/**
 * Node stream → web stream, pulled: `ReadableStream.from` reads the Node stream by async iteration,
 * one chunk per pull, so backpressure holds (Node 20's `Readable.toWeb` buffers eagerly).
 */
function toWebPulled(source: Readable): ReadableStream<Uint8Array> {
  return (ReadableStream as unknown as { from(it: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> }).from(source);
}

function toNode(web: ReadableStream<Uint8Array>): Readable {
  return Readable.fromWeb(web as unknown as WebReadableStream<Uint8Array>, { highWaterMark: PIPELINE_CHUNK_BYTES });
}

/**
 * The encryption stage for `recipient`: the `age` tool where it answers `--version` (about a tenth of
 * the library's CPU, and on another core than the agent's), else the library. Same format either way.
 */
export async function createEncryptStage(recipient: string, tools: CodecTools = {}): Promise<CodecStage> {
  const bin = tools.agePath ?? AGE_BIN;
  return (await ageToolAvailable(bin)) ? ageEncryptChild(recipient, bin) : libraryEncryptStage(recipient);
}

/**
 * age encryption (typage, the format's reference TypeScript implementation) as one pipeline stage,
 * for an X25519 recipient: X25519 wraps a random file key, ChaCha20-Poly1305 seals 64 KiB chunks.
 * Nothing home-made: we only bridge Node and web streams. In-process, so `abort` has nothing to stop.
 * The fallback where the `age` tool is not installed.
 */
export async function libraryEncryptStage(recipient: string): Promise<CodecStage> {
  const { Encrypter } = await loadAge();
  const encrypter = new Encrypter();
  try {
    encrypter.addRecipient(recipient);
  } catch {
    // The schema checked the shape; a bad checksum lands here.
    throw new HoldfastError("VALIDATION_FAILED", "The encryption recipient is not a valid age public key", { field: "encryption.recipient" });
  }
  const input = new PassThrough({ highWaterMark: PIPELINE_CHUNK_BYTES });
  const output = toNode(await encrypter.encrypt(toWebPulled(input)));
  const stream = Duplex.from({ writable: input, readable: output });
  const done = new Promise<void>((resolve, reject) => {
    output.once("end", resolve);
    output.once("error", reject);
    stream.once("error", reject);
  });
  done.catch(() => {});
  return { stream, done, abort: () => false };
}

/**
 * Opens an age file for reading with `identity`. The header (recipient stanzas and its HMAC) is
 * checked before this resolves, so a wrong or malformed key is DECRYPTION_FAILED before a single
 * byte reaches the target; every 64 KiB chunk after it is authenticated as it is read. The identity
 * goes into no message or detail.
 */
export async function openDecrypted(source: Readable, identity: string): Promise<Readable> {
  const { Decrypter } = await loadAge();
  const decrypter = new Decrypter();
  try {
    decrypter.addIdentity(identity);
  } catch {
    throw new HoldfastError("DECRYPTION_FAILED", "The identity is not a valid age secret key; the target was not touched", { stage: "decrypt" });
  }
  let plain: ReadableStream<Uint8Array>;
  try {
    plain = await decrypter.decrypt(toWebPulled(source));
  } catch (err) {
    source.destroy();
    const why = (err as Error)?.message ?? "unknown";
    throw new HoldfastError("DECRYPTION_FAILED", `The artifact could not be decrypted with the given identity (${why.slice(0, 200)}); the target was not touched`, {
      stage: "decrypt",
    });
  }
  return toNode(plain);
}
