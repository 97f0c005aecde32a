// The Node runtime of an agent package: the npm registry's `node-linux-<arch>` package (the official
// build, with its headers), fetched with `npm pack` into a cache outside the checkout, reused across
// builds, and checked against the integrity pinned in node-runtime.json before anything uses it.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import * as tar from "tar";

export const NODE_RUNTIME = JSON.parse(readFileSync(new URL("./node-runtime.json", import.meta.url), "utf8"));

/** `$HOLDFAST_CACHE_DIR`, else `$XDG_CACHE_HOME/holdfast`, else `~/.cache/holdfast`: never inside the clone, so a fresh clone (and CI) pays the download once. */
export function cacheDir() {
  if (process.env.HOLDFAST_CACHE_DIR) return path.resolve(process.env.HOLDFAST_CACHE_DIR);
  return path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), ".cache"), "holdfast");
}

/** The `sha512-<base64>` of a file, as npm writes integrity. */
export async function fileIntegrity(file) {
  const hash = createHash("sha512");
  await pipeline(createReadStream(file), hash);
  return `sha512-${hash.digest("base64")}`;
}

/** Runs a command with an argument array; resolves its stdout, rejects with its stderr's tail. */
export function run(cmd, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...options });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err = (err + d).slice(-8000)));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(out) : reject(new Error(`${path.basename(cmd)} ${args.slice(0, 3).join(" ")} exited ${code}:\n${err.trim()}`))));
  });
}

/**
 * The verified `node-linux-<arch>-<version>.tgz` in the cache: downloaded when missing (or when a
 * cached copy fails its integrity, e.g. a cut download), refused when a fresh download fails it.
 */
export async function fetchNodeRuntime(arch, cache = cacheDir()) {
  const expected = NODE_RUNTIME.integrity[arch];
  if (!expected) throw new Error(`no Node runtime pinned for ${arch} in node-runtime.json (known: ${Object.keys(NODE_RUNTIME.integrity).join(", ")})`);
  const dir = path.join(cache, "node");
  const name = `node-linux-${arch}`;
  const file = path.join(dir, `${name}-${NODE_RUNTIME.version}.tgz`);
  if (existsSync(file) && (await fileIntegrity(file)) === expected) return file;
  // npm pack writes the file under its final name; a scratch folder keeps a half download out of the cache.
  const scratch = path.join(dir, `.pack-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    const npm = process.env.npm_execpath ? [process.execPath, [process.env.npm_execpath]] : ["npm", []];
    const out = await run(npm[0], [...npm[1], "pack", `${name}@${NODE_RUNTIME.version}`, "--json", "--pack-destination", scratch], { cwd: scratch });
    const [packed] = JSON.parse(out);
    const downloaded = path.join(scratch, packed.filename);
    const actual = await fileIntegrity(downloaded);
    if (packed.integrity !== expected || actual !== expected) {
      throw new Error(`${name}@${NODE_RUNTIME.version} does not match its pinned integrity: npm reports ${packed.integrity}, the file is ${actual}, node-runtime.json pins ${expected}`);
    }
    renameSync(downloaded, file);
    return file;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Unpacks the runtime's `bin/node`, `include/node` (the headers native addons build against) and its LICENSE into `dest`. */
export async function unpackNodeRuntime(tgz, dest) {
  mkdirSync(dest, { recursive: true });
  await tar.x({ file: tgz, cwd: dest, strip: 1, filter: (p) => /^package\/(bin\/node|include\/|LICENSE$)/.test(p) });
  return { node: path.join(dest, "bin/node"), version: NODE_RUNTIME.version };
}
