import { HoldfastError, type Codec, type DumpFormat } from "@holdfast/shared";

// The names pipeline/codec.ts#artifactExtension gives: `<runId>.<format ext><codec ext>`.
const FORMATS: [string, DumpFormat][] = [
  [".sql", "plain"],
  [".dump", "custom"],
  [".tar", "directory"],
];
const CODECS: [string, Codec][] = [
  [".gz", "gzip"],
  [".zst", "zstd"],
  ["", "none"],
];

/** What an artifact is (dump format, codec), read from its file name; VALIDATION_FAILED for any other name. */
export function parseArtifactName(fileName: string): { format: DumpFormat; codec: Codec } {
  for (const [codecExt, codec] of CODECS) {
    for (const [formatExt, format] of FORMATS) {
      if (fileName.endsWith(formatExt + codecExt)) return { format, codec };
    }
  }
  throw new HoldfastError("VALIDATION_FAILED", `Cannot tell the format of artifact ${fileName.slice(0, 255)}`, { fileName: fileName.slice(0, 255) });
}
