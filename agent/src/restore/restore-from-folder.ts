import path from "node:path";
import { performance } from "node:perf_hooks";
import { artifactKindOf, connectionLabel, HoldfastError, RestoreRequestOptions } from "@holdfast/shared/protocol";
import { engineFor } from "../engines/registry.js";
import type { EngineRegistry } from "../engines/types.js";
import { openDecrypted } from "../pipeline/encrypt.js";
import type { ArtifactKind } from "./artifact-kind.js";
import { readArtifactParts, verifyArtifactParts } from "./read-artifact-parts.js";
import { type LocalArtifact, readSidecar } from "./read-sidecar.js";
import type { TargetConfig } from "./read-target-config.js";
import { restoreStream } from "./restore-target.js";

/** One line for the operator (stderr): the stage and how far it got. */
export type Progress = (line: string) => void;

export interface FolderVerifyOptions {
  /** When given, the artifact must be encrypted to it: its header is opened (no data decrypted). */
  identity?: string | undefined;
  progress?: Progress;
}

export interface FolderRestoreOptions {
  target: TargetConfig;
  engines: EngineRegistry;
  identity?: string | undefined;
  overwrite: boolean;
  /** Apply the globals the backup carries (a plain PostgreSQL dump's, a whole server's). */
  globals?: boolean;
  /** A whole server's backup: which databases, under which names (checked as a restore request's: RestoreRequestOptions). */
  databases?: { include?: string[] };
  rename?: Record<string, string>;
  signal: AbortSignal;
  progress?: Progress;
}

export interface VerifiedArtifact extends LocalArtifact {
  kind: ArtifactKind;
}

const mib = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

/** A progress callback that speaks at most once a second, and always at the end. */
function bytesReporter(stage: string, total: number, progress: Progress | undefined): (bytes: number) => void {
  let last = -Infinity;
  return (bytes) => {
    const now = performance.now();
    if (!progress || (now - last < 1000 && bytes < total)) return;
    last = now;
    const percent = total > 0 ? Math.floor((bytes / total) * 100) : 100;
    progress(`${stage}: ${bytes} of ${total} bytes (${mib(bytes)}, ${percent}%)`);
  };
}

/** What the artifact is: the sidecar says; a sidecar written before it kept the format falls back to the name. */
function kindOf(artifact: LocalArtifact): ArtifactKind {
  const { sidecar } = artifact;
  const byName = artifactKindOf(path.basename(sidecar.fileName ?? artifact.base));
  const format = sidecar.format ?? byName?.format;
  const codec = sidecar.codec ?? byName?.codec;
  if (!format || !codec) throw new HoldfastError("VALIDATION_FAILED", `The sidecar ${artifact.sidecarFile} says neither the format nor the codec of the artifact`, { sidecar: artifact.sidecarFile });
  return { format, codec, encrypted: sidecar.encrypted };
}

/** The age header opens with `identity` (DECRYPTION_FAILED otherwise): a wrong key is found before hashing gigabytes. */
async function checkIdentityOpens(artifact: LocalArtifact, identity: string): Promise<void> {
  const stored = readArtifactParts(artifact.files, { whole: artifact.sidecar });
  const plain = await openDecrypted(stored, identity);
  plain.destroy();
  stored.destroy();
}

/**
 * `holdfast-agent verify --from`: the sidecar is read and validated, every file it lists must be
 * there with its size, each one's SHA-256 and the whole artifact's must match (read as a stream,
 * flat memory). With an identity, an encrypted artifact's header must open with it. Throws the
 * first problem found: ARTIFACT_NOT_FOUND, VALIDATION_FAILED, CHECKSUM_MISMATCH or DECRYPTION_FAILED.
 */
export async function verifyFromFolder(from: string, opts: FolderVerifyOptions = {}): Promise<VerifiedArtifact> {
  return verifyLocated(await readSidecar(from), opts);
}

async function verifyLocated(artifact: LocalArtifact, opts: FolderVerifyOptions): Promise<VerifiedArtifact> {
  const kind = kindOf(artifact);
  const { progress } = opts;
  if (opts.identity !== undefined) {
    if (!kind.encrypted) throw new HoldfastError("VALIDATION_FAILED", "The artifact is not encrypted: an identity file is not needed", { sidecar: artifact.sidecarFile });
    await checkIdentityOpens(artifact, opts.identity);
    progress?.("decrypt: the identity opens the artifact's header");
  }
  progress?.(`verify: ${artifact.files.length} file(s), ${artifact.sidecar.sizeBytes} bytes, against ${artifact.sidecarFile}`);
  await verifyArtifactParts(artifact.files, {
    whole: artifact.sidecar,
    onBytes: bytesReporter("verify", artifact.sidecar.sizeBytes, progress),
    onFileChecked: (f) => progress?.(`verify: ${f.label} matches its SHA-256 (${f.sizeBytes} bytes)`),
  });
  progress?.(`verify: the whole artifact matches its SHA-256 ${artifact.sidecar.sha256}`);
  return { ...artifact, kind };
}

/**
 * `holdfast-agent restore --from`: a restore with no control plane, from an artifact (whole or in
 * parts) and its sidecar in a local folder. Everything that can be refused is refused before the
 * target is touched: the sidecar, the files, the engine, the identity (its header opens) and every
 * SHA-256 (the whole artifact read once). Then the parts are read again, joined as one stream, into
 * the same pipeline as a restore from the control plane (restore-target.ts: decrypt, engine).
 */
export async function restoreFromFolder(from: string, opts: FolderRestoreOptions): Promise<{ artifact: VerifiedArtifact; durationMs: number; warnings: string[] }> {
  const started = performance.now();
  const { target, progress } = opts;
  const located = await readSidecar(from);
  const { sidecar } = located;
  if (sidecar.engine === null) throw new HoldfastError("VALIDATION_FAILED", `The sidecar ${located.sidecarFile} names no engine`, { sidecar: located.sidecarFile });
  if (sidecar.engine !== target.engine) {
    throw new HoldfastError("VALIDATION_FAILED", `The artifact is a ${sidecar.engine} backup; the target is ${target.engine}`, { artifactEngine: sidecar.engine, targetEngine: target.engine });
  }
  const engine = engineFor(opts.engines, target.engine);
  const chosen = RestoreRequestOptions.safeParse({ ...(opts.databases ? { databases: opts.databases } : {}), ...(opts.rename ? { rename: opts.rename } : {}) });
  if (!chosen.success) {
    throw new HoldfastError("VALIDATION_FAILED", `Invalid --database or --rename: ${chosen.error.issues[0]?.message ?? "refused"}`, { issues: chosen.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })) });
  }
  const encrypted = kindOf(located).encrypted;
  if (encrypted && opts.identity === undefined) {
    throw new HoldfastError("DECRYPTION_FAILED", `The artifact is age-encrypted (to ${sidecar.recipient ?? "an unknown recipient"}): pass --identity-file; the target was not touched`, { stage: "decrypt" });
  }
  const artifact = await verifyLocated(located, { identity: encrypted ? opts.identity : undefined, ...(progress ? { progress } : {}) });

  const sealed = encrypted ? ", decrypting" : "";
  progress?.(`restore: ${artifact.kind.format} (${artifact.kind.codec}${sealed}) into ${connectionLabel(target.connection)}`);
  const stored = readArtifactParts(artifact.files, { whole: sidecar, onBytes: bytesReporter("restore", sidecar.sizeBytes, progress) });
  const result = await restoreStream(engine, stored, target.connection, {
    format: artifact.kind.format,
    codec: artifact.kind.codec,
    overwrite: opts.overwrite,
    globals: opts.globals ?? false,
    ...(chosen.data.databases ? { databases: chosen.data.databases } : {}),
    ...(chosen.data.rename ? { rename: chosen.data.rename } : {}),
    signal: opts.signal,
    ...(encrypted && opts.identity !== undefined ? { identity: opts.identity } : {}),
  });
  return { artifact, durationMs: Math.round(performance.now() - started), warnings: result.warnings };
}
