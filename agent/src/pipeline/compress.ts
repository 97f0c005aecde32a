import zlib from "node:zlib";

export const PIPELINE_CHUNK_BYTES = 1024 * 1024;

/** gzip -6 with 1 MiB output chunks: big chunks keep the hashing and write overhead low (ARCHITECTURE, Performance). */
export function createCompressor(): zlib.Gzip {
  return zlib.createGzip({ level: 6, chunkSize: PIPELINE_CHUNK_BYTES });
}
