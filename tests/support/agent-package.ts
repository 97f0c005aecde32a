import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./processes.js";

/** A package built by `install/package/build-agent-package.mjs` for the tests, and what they check it against. */
export interface BuiltAgentPackage {
  /** The folder holding it (serve it with HOLDFAST_AGENT_PACKAGES_DIR=dir). */
  dir: string;
  /** Absolute path of `holdfast-agent-<version>-linux-<arch>.tar.gz`. */
  file: string;
  name: string;
  version: string;
  arch: string;
  nodeVersion: string;
  size: number;
  sha256: string;
  /** Seconds the build took; 0 when an up-to-date package was reused. */
  buildSeconds: number;
}

/** Where the tests' packages live: inside the checkout's ignored tests/.artifacts, apart from a developer's agent-packages/. */
export const TEST_PACKAGES_DIR = path.join(ROOT, "tests/.artifacts/agent-packages");
const LOCK = path.join(TEST_PACKAGES_DIR, ".build.lock");
const BUILD_TIMEOUT_MS = 15 * 60_000;

/** The newest mtime among what goes into a package: a package older than it is rebuilt. */
function newestInput(): number {
  let newest = 0;
  const visit = (p: string) => {
    if (!existsSync(p)) return;
    const info = statSync(p);
    newest = Math.max(newest, info.mtimeMs);
    if (info.isDirectory()) for (const entry of readdirSync(p)) visit(path.join(p, entry));
  };
  for (const p of ["agent/dist", "agent/package.json", "shared/dist", "shared/package.json", "package-lock.json", "install/package"]) visit(path.join(ROOT, p));
  for (const unit of readdirSync(path.join(ROOT, "install")).filter((f) => /\.(service|path)$/.test(f))) visit(path.join(ROOT, "install", unit));
  return newest;
}

async function sha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest("hex");
}

/** Takes the build lock (a folder: mkdir is atomic), waiting while another test process holds it; a lock whose process is gone is taken over. */
async function lock(): Promise<() => void> {
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(path.join(LOCK, "pid"), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let holder = 0;
    try {
      holder = Number(readFileSync(path.join(LOCK, "pid"), "utf8").trim() || "0");
    } catch {
      // Taken a moment ago, its pid not written yet (or released meanwhile).
    }
    let alive = holder > 0;
    try {
      if (alive) process.kill(holder, 0);
    } catch {
      alive = false;
    }
    // A holder that died before writing its pid leaves an empty file: taken over after a grace period.
    if (!alive && (holder > 0 || Date.now() - (statSync(LOCK, { throwIfNoEntry: false })?.mtimeMs ?? 0) > 30_000)) rmSync(LOCK, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`another test process has held ${LOCK} for over ${BUILD_TIMEOUT_MS / 60_000} minutes`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * The agent package for this machine's architecture, built once and shared by every test file (and
 * later runs) while the agent, shared, the lockfile, the build scripts and the units are unchanged:
 * the first caller builds it under a lock, the others wait for it. The Node runtime is cached in
 * ~/.cache/holdfast (HOLDFAST_CACHE_DIR), so only the first build on a machine downloads it. Allow
 * it ~5 minutes (a beforeAll timeout of BUILD_TIMEOUT_MS is safe).
 */
export async function ensureAgentPackage(): Promise<BuiltAgentPackage> {
  mkdirSync(TEST_PACKAGES_DIR, { recursive: true });
  const { version } = JSON.parse(readFileSync(path.join(ROOT, "agent/package.json"), "utf8")) as { version: string };
  const arch = process.arch;
  const name = `holdfast-agent-${version}-linux-${arch}.tar.gz`;
  const file = path.join(TEST_PACKAGES_DIR, name);
  const unlock = await lock();
  let buildSeconds = 0;
  try {
    const fresh = existsSync(file) && existsSync(`${file}.json`) && statSync(file).mtimeMs > newestInput();
    if (!fresh) {
      const started = performance.now();
      await promisify(execFile)(process.execPath, [path.join(ROOT, "install/package/build-agent-package.mjs"), "--arch", arch, "--out", TEST_PACKAGES_DIR], {
        cwd: ROOT,
        timeout: BUILD_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
      });
      buildSeconds = (performance.now() - started) / 1000;
    }
  } finally {
    unlock();
  }
  const { nodeVersion } = JSON.parse(readFileSync(`${file}.json`, "utf8")) as { nodeVersion: string };
  return { dir: TEST_PACKAGES_DIR, file, name, version, arch, nodeVersion, size: statSync(file).size, sha256: await sha256(file), buildSeconds };
}
