import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { type AgentPackage, HoldfastError } from "@holdfast/shared";

/** What a downloaded package is checked against: its entry of the manifest fetched over the pinned link. */
export type ExpectedPackage = Pick<AgentPackage, "sha256" | "size">;

/**
 * Refuses a downloaded agent package unless its size and SHA-256 are the manifest's: the manifest,
 * fetched over the pinned connection, is the truth, and the package's own bytes prove nothing. The
 * file is streamed (a package is ~60 MiB), and its size checked first, so a cut download is told as
 * such without reading it. install/agent.sh does the same with sha256sum; `holdfast-agent upgrade`
 * calls this before unpacking anything.
 */
export async function verifyPackage(file: string, expected: ExpectedPackage): Promise<void> {
  const size = (await stat(file)).size;
  if (size !== expected.size) {
    throw new HoldfastError(
      "CHECKSUM_MISMATCH",
      `The agent package ${file} is ${size} bytes, the manifest says ${expected.size}: the download was cut or the file is not the published package. Download it again; nothing was installed.`,
      { file, expectedSize: expected.size, actualSize: size },
    );
  }
  const hash = createHash("sha256");
  let read = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    read += chunk.length;
    hash.update(chunk);
  }
  const actual = hash.digest("hex");
  if (actual !== expected.sha256 || read !== expected.size) {
    throw new HoldfastError(
      "CHECKSUM_MISMATCH",
      `The agent package ${file} does not match the manifest's SHA-256 (${actual} instead of ${expected.sha256}): it was altered or corrupted. Nothing was installed; download it again, and if this repeats, check the control plane's agent-packages folder.`,
      { file, expectedSha256: expected.sha256, actualSha256: actual, expectedSize: expected.size, actualSize: read },
    );
  }
}
