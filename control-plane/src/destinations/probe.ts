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

/** A fixed probe name, for destinations whose credentials cannot delete: each probe overwrites the last. */
export const KEPT_PROBE_NAME = ".holdfast-probe-kept";

/**
 * `test()` of every destination, written once against the interface: puts a random probe object at
 * the destination's root, reads it back and compares its SHA-256, deletes it and checks it is gone.
 * The probe is removed on failure too, where the destination still lets us. `name` is random unless
 * a caller (the local destination's child process, the health probe) was handed one. Credentials
 * that may write and read but not delete pass, with `canDelete: false`: Holdfast works with them
 * (retention keeps what it would delete), and the caller records it for the console.
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
    const ms = (a: number, b: number) => Math.round((b - a) * 10) / 10;
    try {
      await dest.delete(name);
    } catch (err) {
      if (!(err instanceof HoldfastError && err.code === "DESTINATION_DELETE_DENIED")) throw err;
      deleted = true; // Not deleted, but trying again in `finally` would be refused the same way.
      const t3 = performance.now();
      return { ok: true, bytes: PROBE_BYTES, writeMs: ms(t0, t1), readMs: ms(t1, t2), deleteMs: ms(t2, t3), freeSpaceBytes: await dest.freeSpace(), canDelete: false, leftBehind: name };
    }
    deleted = true;
    const t3 = performance.now();
    if ((await dest.stat(name)) !== null) {
      throw new HoldfastError("DESTINATION_REFUSED", "The probe object is still there after it was deleted", { reason: name });
    }
    return { ok: true, bytes: PROBE_BYTES, writeMs: ms(t0, t1), readMs: ms(t1, t2), deleteMs: ms(t2, t3), freeSpaceBytes: await dest.freeSpace(), canDelete: true };
  } finally {
    if (!deleted) await dest.delete(name).catch(() => {});
  }
}
