import { HoldfastError } from "@holdfast/shared";
import type { Context } from "hono";
import type { HonoEnv } from "../types.js";

/**
 * Runs a ranged read; a 416 carries `Content-Range: bytes *\/size` (RFC 9110 §15.5.17), so a client
 * learns the size from the refusal itself. The error is then answered as any other.
 */
export async function withUnsatisfiableRange<T>(c: Context<HonoEnv>, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof HoldfastError && err.code === "RANGE_NOT_SATISFIABLE" && typeof err.details?.sizeBytes === "number") {
      c.header("content-range", `bytes */${err.details.sizeBytes}`);
    }
    throw err;
  }
}
