import { Readable } from "node:stream";
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

/**
 * An artifact's bytes as the response. @hono/node-server writes the stream to the socket waiting for
 * "drain" (backpressure end to end) and cancels it when the client goes away. A stream that fails
 * midway (a destination dropped, a copy that does not match its SHA-256) cuts the connection at
 * once, in the error's own tick: the server's error handler would otherwise write its error text
 * after the bytes, and a few such bytes could complete Content-Length with something else.
 */
export function artifactResponse(c: Context<HonoEnv>, status: number, headers: Record<string, string>, body: Readable | null): Response {
  if (!body) return new Response(null, { status, headers });
  body.once("error", () => c.env?.outgoing?.destroy());
  return new Response(Readable.toWeb(body) as ReadableStream, { status, headers });
}
