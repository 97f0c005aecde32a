/**
 * The chunk every agent stream reads and writes (dump output, codecs, staging file, upload, restore):
 * 1 MiB keeps buffers mmapped and returned on free (docs/decisions.md, "Agent memory"), and is the
 * `chunkSize` getArtifactMetadata announces.
 */
export const PIPELINE_CHUNK_BYTES = 1024 * 1024;
