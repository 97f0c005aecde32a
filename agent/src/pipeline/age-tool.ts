import { HoldfastError } from "@holdfast/shared/protocol";
import { toolVersionLine } from "../engines/tool-version.js";
import { childStage, type CodecStage } from "./codec.js";

/** The `age` tool on PATH by default (Debian's `age` package). */
export const AGE_BIN = "age";

/** The same detection as for zstd (runs/preflight.ts#codecAvailable): the tool answers `--version`. */
export async function ageToolAvailable(bin: string = AGE_BIN): Promise<boolean> {
  return (await toolVersionLine(bin)) !== null;
}

/**
 * age encryption by the `age` tool as a child process (`age -e -r RECIPIENT`, an argument array): Go's
 * assembly ChaCha20-Poly1305 on another core instead of typage's JavaScript one on the agent's
 * (docs/decisions.md, "The age tool in the pipeline"). Same format as the library: each decrypts the
 * other's files. Its exit is awaited like zstd's (pipefail): an `age` that dies fails the run.
 */
export function ageEncryptChild(recipient: string, bin: string = AGE_BIN): CodecStage {
  return childStage("age", bin, ["-e", "-r", recipient], ageRecipientRefused);
}

/** The schema checked the recipient's shape; a bad checksum lands here, as it does in the library. */
export function ageRecipientRefused(stderr: string): HoldfastError | null {
  return stderr.includes("malformed recipient") ? new HoldfastError("VALIDATION_FAILED", "The encryption recipient is not a valid age public key", { field: "encryption.recipient" }) : null;
}
