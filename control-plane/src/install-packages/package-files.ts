import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { AgentPackage } from "@holdfast/shared";
import { z } from "zod";

/**
 * The only names served from the packages folder: `holdfast-agent-<version>-linux-<arch>.tar.gz`.
 * No slash, no leading dot, nothing but these characters: a request can name no other file.
 */
export const PACKAGE_FILE = /^holdfast-agent-([0-9A-Za-z][0-9A-Za-z._-]{0,63})-linux-(x64|arm64)\.tar\.gz$/;

/** `<file>.json`, written beside each package by the build: which Node it carries. */
const PackageSidecar = z.object({ version: z.string(), os: z.literal("linux"), arch: z.enum(["x64", "arm64"]), nodeVersion: z.string().regex(/^\d+\.\d+\.\d+$/) });

export interface PackageFile {
  name: string;
  file: string;
  size: number;
  sha256: string;
  mtimeMs: number;
}

/** One SHA-256 per file, computed once: recomputed only when the file's size or mtime changed (a rebuilt package). */
export class PackageHashes {
  readonly #known = new Map<string, { size: number; mtimeMs: number; sha256: Promise<string> }>();

  sha256(file: string, size: number, mtimeMs: number): Promise<string> {
    const known = this.#known.get(file);
    if (known && known.size === size && known.mtimeMs === mtimeMs) return known.sha256;
    const sha256 = hashFile(file);
    // A failed read is not remembered: the next request tries again.
    sha256.catch(() => this.#known.delete(file));
    this.#known.set(file, { size, mtimeMs, sha256 });
    return sha256;
  }
}

async function hashFile(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest("hex");
}

/** The package `name` in `dir` with its size and SHA-256, or undefined when the name is not a package's or no such file exists. */
export async function packageFile(dir: string, name: string, hashes: PackageHashes): Promise<PackageFile | undefined> {
  if (!PACKAGE_FILE.test(name)) return undefined;
  const file = path.join(dir, name);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return undefined;
  return { name, file, size: info.size, mtimeMs: info.mtimeMs, sha256: await hashes.sha256(file, info.size, info.mtimeMs) };
}

/**
 * The packages of `version` in `dir`, as the manifest lists them; none when the folder is missing
 * (nothing built yet). A package without its sidecar, or of another version, is left out: the
 * manifest offers exactly the version this control plane speaks for.
 */
export async function listPackages(dir: string, version: string, hashes: PackageHashes): Promise<AgentPackage[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === "ENOENT") return [] as string[];
    throw err;
  });
  const packages: AgentPackage[] = [];
  for (const name of names.sort()) {
    const match = PACKAGE_FILE.exec(name);
    if (!match || match[1] !== version) continue;
    const sidecar = PackageSidecar.safeParse(await readFile(path.join(dir, `${name}.json`), "utf8").then((text) => JSON.parse(text) as unknown, () => undefined));
    if (!sidecar.success || sidecar.data.version !== version || sidecar.data.arch !== match[2]) continue;
    const found = await packageFile(dir, name, hashes);
    if (!found) continue;
    packages.push(AgentPackage.parse({ os: "linux", arch: sidecar.data.arch, url: `/install/packages/${name}`, sha256: found.sha256, size: found.size, nodeVersion: sidecar.data.nodeVersion }));
  }
  return packages;
}
