import { createHash, randomBytes } from "node:crypto";
import { access, link, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { HoldfastError } from "@holdfast/shared";
import type { Env } from "../env.js";
import { makePrivateDir } from "../private-files.js";
import { loadMasterKey } from "../secrets/master-key.js";
import type { MasterKeyNote } from "./format.js";

type KeyEnv = Pick<Env, "masterKey" | "masterKeyFile">;

/**
 * A name for the key that reveals nothing of it: SHA-256 over a label and the 32 random bytes. Two
 * control planes with the same id open each other's sealed secrets; with different ids they do not.
 */
export function masterKeyId(key: Buffer): string {
  return `sha256:${createHash("sha256").update("holdfast master key id\0").update(key).digest("hex")}`;
}

/** The master key this configuration uses (HOLDFAST_MASTER_KEY, else the key file), or null: unlike `serve`, never creates one. */
export async function existingMasterKey(env: KeyEnv): Promise<Buffer | null> {
  if (env.masterKey !== undefined) return loadMasterKey(env);
  const present = await access(env.masterKeyFile).then(
    () => true,
    () => false,
  );
  return present ? loadMasterKey(env) : null;
}

export type KeyPlan = { kind: "same" } | { kind: "none-sealed" } | { kind: "install"; key: string } | { kind: "without-secrets" };

/**
 * What restoring an export with `note` means for this control plane's master key, refused when the
 * restored destination and channel secrets would not open under the key `serve` will use. `force`
 * restores anyway (the secrets are then entered again by hand).
 */
export function planMasterKey(note: MasterKeyNote | null, current: Buffer | null, env: KeyEnv, force: boolean): KeyPlan {
  if (note === null) return { kind: "none-sealed" };
  const where = env.masterKey !== undefined ? "HOLDFAST_MASTER_KEY" : env.masterKeyFile;
  if (current !== null) {
    if (masterKeyId(current) === note.id) return { kind: "same" };
    if (force) return { kind: "without-secrets" };
    throw new HoldfastError(
      "PRECONDITION_FAILED",
      `The export's secrets are sealed under master key ${note.id.slice(0, 23)}…, not this control plane's (${where}, ${masterKeyId(current).slice(0, 23)}…): ` +
        "give the old key (HOLDFAST_MASTER_KEY or the master.key file), or --force to restore without working destination and channel secrets",
    );
  }
  if (note.key !== undefined) return { kind: "install", key: note.key };
  if (force) return { kind: "without-secrets" };
  throw new HoldfastError(
    "PRECONDITION_FAILED",
    `The export's secrets are sealed under master key ${note.id.slice(0, 23)}…, and this control plane has none (${where}): ` +
      "set HOLDFAST_MASTER_KEY or copy the old master.key (0600) there first, or --force to restore without working destination and channel secrets",
  );
}

/** Writes the export's key as this data dir's master.key (0600, whole or not at all, never over another). */
export async function installMasterKey(env: KeyEnv, key: string): Promise<void> {
  makePrivateDir(dirname(env.masterKeyFile));
  const temp = `${env.masterKeyFile}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temp, `${key}\n`, { mode: 0o600, flag: "wx" });
  try {
    await link(temp, env.masterKeyFile);
  } finally {
    await rm(temp, { force: true });
  }
}
