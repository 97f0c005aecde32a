// A fresh Debian root made with debootstrap, for the install script's test. Building one downloads
// ~100 MB, so it is built once per package list and kept as a tarball OUTSIDE the clone
// (/var/cache/holdfast-tests, or HOLDFAST_TEST_CACHE): CI pays once, each run unpacks a fresh copy.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";

export const DEBIAN_SUITE = "bookworm";
/** What the install script needs inside (curl, tar, sha256sum, useradd, setpriv) and a dump tool. */
export const DEBIAN_PACKAGES = ["ca-certificates", "curl", "postgresql-client"];

/** The Debian mirror this machine's apt uses (the test builds from the same place). */
export function debianMirror(): string {
  const dir = "/etc/apt/sources.list.d";
  const texts = [
    ...(existsSync("/etc/apt/sources.list") ? [readFileSync("/etc/apt/sources.list", "utf8")] : []),
    ...(existsSync(dir) ? readdirSync(dir).map((f) => readFileSync(path.join(dir, f), "utf8")) : []),
  ];
  for (const text of texts) {
    const m = /^URIs:\s*(\S+\/debian)\s*$/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s/m.exec(text);
    if (m?.[1]) return m[1];
  }
  return "http://deb.debian.org/debian";
}

export function debianRootCacheFile(): string {
  const cacheDir = process.env.HOLDFAST_TEST_CACHE ?? "/var/cache/holdfast-tests";
  const key = createHash("sha256").update(JSON.stringify([DEBIAN_SUITE, "minbase", [...DEBIAN_PACKAGES].sort(), debianMirror()])).digest("hex").slice(0, 16);
  return path.join(cacheDir, `debian-root-${key}.tar.zst`);
}

/** Builds the cached tarball if it is missing (minutes, once); returns its path. */
export function ensureDebianRootTarball(): string {
  const file = debianRootCacheFile();
  if (existsSync(file)) return file;
  mkdirSync(path.dirname(file), { recursive: true });
  const work = `${file}.build-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  try {
    execFileSync("debootstrap", ["--variant=minbase", `--include=${DEBIAN_PACKAGES.join(",")}`, DEBIAN_SUITE, work, debianMirror()], {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 30 * 60_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    // apt's downloaded .debs are not needed inside the test root.
    rmSync(path.join(work, "var/cache/apt/archives"), { recursive: true, force: true });
    mkdirSync(path.join(work, "var/cache/apt/archives/partial"), { recursive: true });
    const tmp = `${file}.tmp-${process.pid}`;
    execFileSync("tar", ["--zstd", "-cf", tmp, "-C", work, "."], { stdio: "ignore", timeout: 10 * 60_000 });
    renameSync(tmp, file);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return file;
}

/** Unpacks a fresh copy of the cached root into `dir` (which must exist and be empty). */
export function unpackDebianRoot(dir: string): void {
  execFileSync("tar", ["--zstd", "-xpf", ensureDebianRootTarball(), "-C", dir], { stdio: "ignore", timeout: 5 * 60_000 });
}

if (process.argv[1] && import.meta.filename === path.resolve(process.argv[1])) {
  console.log(ensureDebianRootTarball());
}
