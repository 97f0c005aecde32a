#!/usr/bin/env node
// `npm run package:agent [-- --arch x64] [--out DIR]`: builds the agent (and shared), then the
// self-contained agent package `holdfast-agent-<version>-linux-<arch>.tar.gz` into
// `<repo>/agent-packages/` (or DIR), which the control plane serves at /install/packages/. Layout (docs/install.md): one folder
// `holdfast-agent-<version>/` with bin/holdfast-agent (the launcher), node/ (Node 22 from the npm
// registry, with its headers), app/ (the agent, shared, production dependencies with native addons
// rebuilt for that Node), share/ (the systemd units of install/), VERSION. Beside it,
// `<file>.json` says which Node it carries, for the control plane's manifest.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { copyAgentApp } from "./copy-agent-app.mjs";
import { fetchNodeRuntime, run, unpackNodeRuntime } from "./node-runtime.mjs";
import { assertCanBuildFor, rebuildNativeAddons } from "./rebuild-native.mjs";
import { packageMtime, writeTarball } from "./write-tarball.mjs";

const ROOT = path.resolve(import.meta.dirname, "../..");

/**
 * The V8 options the agent runs with (docs/decisions.md, "Agent memory: a lean start"), from the one
 * file the tests' launcher reads too. Written into the script as words, so each must be a plain flag.
 */
export function agentNodeFlags() {
  const flags = JSON.parse(readFileSync(path.join(ROOT, "agent/bin/node-flags.json"), "utf8"));
  const bad = flags.find((flag) => !/^--[a-z0-9-]+(=[a-z0-9.]+)?$/.test(flag));
  if (bad !== undefined) throw new Error(`agent/bin/node-flags.json: "${bad}" is not a plain --flag[=value]`);
  return flags;
}

// Resolves symlinks (/opt/holdfast-agent points at a version's folder), then runs the bundled Node.
const launcher = (flags) => `#!/bin/sh
# The Holdfast agent with the Node runtime bundled beside it (../node), whatever Node the host has.
self=$(readlink -f -- "$0") || exit 1
root=$(dirname -- "$(dirname -- "$self")")
exec "$root/node/bin/node" ${flags.map((flag) => `${flag} `).join("")}"$root/app/agent/bin/holdfast-agent.js" "$@"
`;

/** The package's file name for a version and architecture (the control plane's manifest reads the same shape). */
export const packageFileName = (version, arch) => `holdfast-agent-${version}-linux-${arch}.tar.gz`;

/** Builds one package; resolves what was built, with its size and the seconds it took. */
export async function buildAgentPackage({ arch = process.arch, out = path.join(ROOT, "agent-packages"), log = () => {} } = {}) {
  const started = performance.now();
  assertCanBuildFor(arch);
  const version = JSON.parse(readFileSync(path.join(ROOT, "agent/package.json"), "utf8")).version;
  const top = `holdfast-agent-${version}`;
  const work = mkdtempSync(path.join(tmpdir(), "holdfast-package-"));
  try {
    const stage = path.join(work, top);
    log(`Node runtime for linux-${arch}`);
    const runtime = await unpackNodeRuntime(await fetchNodeRuntime(arch), path.join(stage, "node"));
    log("the agent and its production dependencies");
    // An addon's build/ is the host Node's: left out, and rebuilt for the bundled one.
    const skip = (rel) => path.basename(rel) === "build" && existsSync(path.join(ROOT, path.dirname(rel), "binding.gyp"));
    await copyAgentApp(ROOT, path.join(stage, "app"), { skip });
    log("native addons, against the bundled Node's headers");
    const native = await rebuildNativeAddons(path.join(stage, "app"), { nodeDir: path.join(stage, "node"), arch, root: ROOT });
    mkdirSync(path.join(stage, "bin"));
    writeFileSync(path.join(stage, "bin/holdfast-agent"), launcher(agentNodeFlags()));
    chmodSync(path.join(stage, "bin/holdfast-agent"), 0o755);
    mkdirSync(path.join(stage, "share"));
    const units = readdirSync(path.join(ROOT, "install")).filter((f) => /^holdfast-agent[\w-]*\.(service|path)$/.test(f)).sort();
    for (const unit of units) copyFileSync(path.join(ROOT, "install", unit), path.join(stage, "share", unit));
    writeFileSync(path.join(stage, "VERSION"), `${version}\n`);
    // The launcher, the bundled Node and the agent's code together, before anything is published.
    const reported = (await run(path.join(stage, "bin/holdfast-agent"), ["--version"])).trim();
    if (reported !== version) throw new Error(`the packaged agent reports version "${reported}", expected ${version}`);
    mkdirSync(out, { recursive: true });
    const file = path.join(out, packageFileName(version, arch));
    log(`writing ${file}`);
    await writeTarball(work, top, file, packageMtime(ROOT));
    writeFileSync(`${file}.json`, `${JSON.stringify({ version, os: "linux", arch, nodeVersion: runtime.version }, null, 2)}\n`);
    return { file, version, arch, nodeVersion: runtime.version, units, nativeAddons: native.addons, size: statSync(file).size, seconds: (performance.now() - started) / 1000 };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.filename === process.argv[1]) {
  const { values } = parseArgs({ options: { arch: { type: "string", default: process.arch }, out: { type: "string" } } });
  try {
    const built = await buildAgentPackage({ arch: values.arch, ...(values.out ? { out: path.resolve(values.out) } : {}), log: (step) => process.stderr.write(`package:agent: ${step}\n`) });
    const mb = (built.size / 1024 / 1024).toFixed(1);
    process.stdout.write(`${built.file}\n  ${mb} MiB, Node ${built.nodeVersion}, native addons: ${built.nativeAddons.join(", ") || "none"}, units: ${built.units.join(", ") || "none"}; built in ${built.seconds.toFixed(0)} s\n`);
  } catch (err) {
    process.stderr.write(`package:agent: ${err.message}\n`);
    process.exit(1);
  }
}
