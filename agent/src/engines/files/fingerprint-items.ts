import type { Fingerprint } from "../types.js";

export const FILES_FINGERPRINT_METHOD = "sha256 and size of each file's bytes with its permission bits; directories by permission bits; symlinks by target";

/**
 * The fingerprint entries of a folder, one per relative path. Permission bits are `mode & 0o777`:
 * what a restore reproduces (it drops setuid, setgid and sticky), so a drill compares like with like.
 */
export function fileItem(mode: number, size: number, sha256Hex: string): Fingerprint["items"][string] {
  return { checksum: `file ${(mode & 0o777).toString(8).padStart(4, "0")} ${size} sha256:${sha256Hex}` };
}

export function directoryItem(mode: number): Fingerprint["items"][string] {
  return { checksum: `directory ${(mode & 0o777).toString(8).padStart(4, "0")}` };
}

export function symlinkItem(target: string): Fingerprint["items"][string] {
  return { checksum: `symlink ${target}` };
}
