import type { TlsPin } from "@holdfast/shared/protocol";
import { readIdentity, writeIdentity } from "./identity-file.js";

/** Keeps the pins in identity.json (temp file + rename, 0600), so the next start trusts them too. */
export async function savePins(dataDir: string, pins: readonly TlsPin[]): Promise<void> {
  const identity = await readIdentity(dataDir);
  await writeIdentity(dataDir, { ...identity, pins: [...pins] });
}
