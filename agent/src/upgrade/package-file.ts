import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { HoldfastError, validationError } from "@holdfast/shared/protocol";

/** Where the unprivileged agent leaves a verified package and its request for the root unit. */
export const upgradeDir = (dataDir: string) => path.join(dataDir, "upgrade");
export const requestFile = (dataDir: string) => path.join(upgradeDir(dataDir), "request.json");

/** What holdfast-agent-upgrade.service acts on; written last (temp + rename), so it is never half there. */
export const UpgradeRequest = z
  .object({
    version: z.string().regex(/^[0-9A-Za-z.+-]{1,64}$/),
    /** A file name inside upgradeDir: never a path the agent's user could point elsewhere. */
    file: z.string().regex(/^holdfast-agent-[0-9A-Za-z.+-]+-linux-(x64|arm64)\.tar\.gz$/),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    size: z.number().int().positive(),
    requestedAt: z.string(),
  })
  .strict();
export type UpgradeRequest = z.infer<typeof UpgradeRequest>;

export function readUpgradeRequest(dataDir: string): UpgradeRequest | null {
  let text: string;
  try {
    text = fs.readFileSync(requestFile(dataDir), "utf8");
  } catch {
    return null;
  }
  const parsed = UpgradeRequest.safeParse(JSON.parse(text));
  if (!parsed.success) throw validationError(parsed.error, "upgrade request");
  return parsed.data;
}

/** Streams the file through SHA-256; refuses a size or digest other than expected. */
export async function verifyPackage(file: string, expected: { sha256: string; size: number }): Promise<void> {
  const size = (await fs.promises.stat(file)).size;
  const hash = createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  const sha256 = hash.digest("hex");
  if (size !== expected.size || sha256 !== expected.sha256) {
    throw new HoldfastError("CHECKSUM_MISMATCH", `The package ${path.basename(file)} does not match the manifest (size ${size}, expected ${expected.size}; SHA-256 ${sha256.slice(0, 12)}…, expected ${expected.sha256.slice(0, 12)}…)`, { file, sha256, size, expected });
  }
}
