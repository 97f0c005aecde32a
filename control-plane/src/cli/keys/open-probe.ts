import { Decrypter } from "age-encryption";

/** What `keys test` fetches: the header and well over one 64 KiB payload chunk, so the first chunk is read as a middle one. */
export const PROBE_BYTES = 256 * 1024;

export type ProbeVerdict = { opens: true; plaintextBytes: number } | { opens: false; why: string };

/**
 * Whether `identity` opens an age file of which `head` is the beginning (or the whole): the header
 * is unwrapped with the identity and its MAC checked (a wrong key fails here), then the first
 * payload chunk is decrypted and authenticated. Nothing past the first chunk is needed.
 */
export async function probeDecrypt(head: Uint8Array, identity: string): Promise<ProbeVerdict> {
  const decrypter = new Decrypter();
  decrypter.addIdentity(identity);
  const input = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(head);
      controller.close();
    },
  });
  let plain: ReadableStream<Uint8Array>;
  try {
    plain = await decrypter.decrypt(input);
  } catch (err) {
    return { opens: false, why: (err as Error).message };
  }
  const reader = plain.getReader();
  try {
    const first = await reader.read();
    return { opens: true, plaintextBytes: first.value?.length ?? 0 };
  } catch (err) {
    return { opens: false, why: `the header opened but the first chunk did not authenticate (${(err as Error).message})` };
  } finally {
    void reader.cancel().catch(() => {});
  }
}
