import { ENCRYPTED_EXT, HoldfastError, type Codec, type DumpFormat } from "@holdfast/shared";

// The names pipeline/codec.ts#artifactExtension gives: `<runId>.<format ext><codec ext>[.age]`.
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

/** What an artifact is (dump format, codec, age-encrypted or not), read from its file name; VALIDATION_FAILED for any other name. */
export function parseArtifactName(fileName: string): { format: DumpFormat; codec: Codec; encrypted: boolean } {
  const encrypted = fileName.endsWith(ENCRYPTED_EXT);
  const name = encrypted ? fileName.slice(0, -ENCRYPTED_EXT.length) : fileName;
  for (const [codecExt, codec] of CODECS) {
    for (const [formatExt, format] of FORMATS) {
      if (name.endsWith(formatExt + codecExt)) return { format, codec, encrypted };
    }
  }
  throw new HoldfastError("VALIDATION_FAILED", `Cannot tell the format of artifact ${fileName.slice(0, 255)}`, { fileName: fileName.slice(0, 255) });
}
