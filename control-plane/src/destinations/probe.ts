import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { HoldfastError } from "@holdfast/shared";
import type { Destination, ProbeResult } from "./types.js";

const PROBE_BYTES = 256 * 1024;

export const newProbeName = () => `.holdfast-probe-${randomBytes(8).toString("hex")}`;

async function sha256Of(stream: Readable): Promise<{ hex: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { hex: hash.digest("hex"), bytes };
}

/**
 * `test()` of every destination, written once against the interface: puts a random probe object at
 * the destination's root, reads it back and compares its SHA-256, deletes it and checks it is gone.
 * The probe is removed on failure too, where the destination still lets us. `name` is random unless
 * a caller (the local destination's child process) was handed one.
 */
export async function probeDestination(dest: Omit<Destination, "test">, name = newProbeName()): Promise<ProbeResult> {
  const body = randomBytes(PROBE_BYTES);
  const expected = createHash("sha256").update(body).digest("hex");
  const t0 = performance.now();
  await dest.put(Readable.from([body]), name);
  const t1 = performance.now();
  let deleted = false;
  try {
    const read = await sha256Of(await dest.get(name));
    if (read.hex !== expected) {
      throw new HoldfastError("DESTINATION_REFUSED", "The probe object read back differs from what was written", { reason: `read ${read.bytes} bytes of ${PROBE_BYTES}` });
    }
    const t2 = performance.now();
    await dest.delete(name);
    deleted = true;
    const t3 = performance.now();
    if ((await dest.stat(name)) !== null) {
      throw new HoldfastError("DESTINATION_REFUSED", "The probe object is still there after it was deleted", { reason: name });
    }
    const ms = (a: number, b: number) => Math.round((b - a) * 10) / 10;
    return { ok: true, bytes: PROBE_BYTES, writeMs: ms(t0, t1), readMs: ms(t1, t2), deleteMs: ms(t2, t3), freeSpaceBytes: await dest.freeSpace() };
  } finally {
    if (!deleted) await dest.delete(name).catch(() => {});
  }
}
