// Native addons of the packaged dependencies (better-sqlite3 today; any folder with a binding.gyp),
// rebuilt from their sources against the bundled Node's own headers: node-gyp with --nodedir
// downloads nothing, and no prebuilt binary is fetched (prebuild-install would need GitHub).
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { run } from "./node-runtime.mjs";

/** Every folder under `app/node_modules` holding a binding.gyp, relative to `app`. */
export function findNativeAddons(app) {
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === ".bin") continue;
      const child = path.join(dir, entry.name);
      if (entry.name.startsWith("@")) walk(child);
      else {
        if (existsSync(path.join(child, "binding.gyp"))) found.push(path.relative(app, child));
        if (existsSync(path.join(child, "node_modules"))) walk(path.join(child, "node_modules"));
      }
    }
  };
  for (const base of [app, path.join(app, "agent")]) if (existsSync(path.join(base, "node_modules"))) walk(path.join(base, "node_modules"));
  return found.sort();
}

/** The compiled `.node` files of an addon, relative to `app`. */
function binaries(app, addon) {
  const release = path.join(app, addon, "build/Release");
  return existsSync(release) ? readdirSync(release).filter((f) => f.endsWith(".node")).map((f) => path.join(addon, "build/Release", f)) : [];
}

/** Refuses another architecture than the host's: compiling for it needs a cross compiler, which is not set up (docs/install.md). */
export function assertCanBuildFor(arch) {
  if (arch !== process.arch) {
    throw new Error(`the native addons cannot be built for ${arch} on this ${process.arch} host (no cross compiler is set up): build the ${arch} package on an ${arch} machine`);
  }
}

/**
 * Rebuilds each addon of `app` for the runtime unpacked in `nodeDir` and keeps only its `.node`
 * files of `build/` (the objects are large and of no use at run time). Cross-building is refused:
 * this needs a compiler for the target, and only the host's architecture is built and tested.
 */
export async function rebuildNativeAddons(app, { nodeDir, arch, root }) {
  assertCanBuildFor(arch);
  const nodeGyp = createRequire(path.join(root, "package.json")).resolve("node-gyp/bin/node-gyp.js");
  const addons = findNativeAddons(app);
  const built = [];
  for (const addon of addons) {
    const dir = path.join(app, addon);
    rmSync(path.join(dir, "build"), { recursive: true, force: true });
    await run(process.execPath, [nodeGyp, "rebuild", "--release", `--nodedir=${nodeDir}`, `--arch=${arch}`, "--jobs=2"], {
      cwd: dir,
      // No download of headers or binaries, whatever the user's npm config says.
      env: { ...process.env, npm_config_nodedir: nodeDir, npm_config_build_from_source: "true", npm_config_offline: "true" },
    });
    for (const entry of readdirSync(path.join(dir, "build"))) if (entry !== "Release") rmSync(path.join(dir, "build", entry), { recursive: true, force: true });
    for (const entry of readdirSync(path.join(dir, "build/Release"))) {
      // test_*.node: SQLite extensions better-sqlite3 builds for its own tests, not Node addons.
      if (!entry.endsWith(".node") || entry.startsWith("test_") || !statSync(path.join(dir, "build/Release", entry)).isFile()) rmSync(path.join(dir, "build/Release", entry), { recursive: true, force: true });
    }
    const files = binaries(app, addon);
    if (files.length === 0) throw new Error(`${addon}: node-gyp built no .node file`);
    built.push(...files);
  }
  // Loading each binary under the bundled Node proves it was built for that Node's ABI; a database
  // opened through better-sqlite3 proves the agent's store will open.
  if (built.length > 0) await run(path.join(nodeDir, "bin/node"), ["-e", "for (const f of process.argv.slice(1)) require(f)", ...built.map((f) => path.join(app, f))]);
  if (addons.includes("node_modules/better-sqlite3")) {
    await run(path.join(nodeDir, "bin/node"), ["-e", "new (require('better-sqlite3'))(':memory:').prepare('select sqlite_version()').get()"], { cwd: app });
  }
  return { addons, binaries: built };
}
