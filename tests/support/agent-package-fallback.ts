// PRE-INTEGRATION FALLBACK (h/install): stands in for h/package's `ensureAgentPackage()` until it
// lands; the integrator replaces the call in tests/e2e/install-debootstrap.test.ts and deletes this
// file. It builds a package with the contract's layout (HELPER-BRIEF: bin/holdfast-agent launcher,
// node/, app/, share/ units, VERSION) from this checkout's built agent and THIS machine's Node
// binary (the Debian root shares the host's glibc), plus a manifest entry for it.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { AgentPackage, InstallManifest } from "@holdfast/shared";
import { ROOT } from "./processes.js";

const LAUNCHER = `#!/bin/sh
# Runs the bundled Node on the bundled agent, wherever the package is (symlinks resolved).
here=$(dirname "$(readlink -f "$0")")
exec "$here/../node/bin/node" "$here/../app/agent/bin/holdfast-agent.js" "$@"
`;

// While the agent has no `enroll --ca-pin`/`--insecure` (h/tls), the launcher drops them.
const DROP_PIN_FLAGS = `n=$#
while [ "$n" -gt 0 ]; do
  a=$1; shift; n=$((n - 1))
  case $a in
    --ca-pin) shift; n=$((n - 1)) ;;
    --insecure) ;;
    *) set -- "$@" "$a" ;;
  esac
done
`;

/** Builds `holdfast-agent-<version>-linux-x64.tar.gz` in `outDir`; returns its manifest entry. */
export function buildFallbackAgentPackage(version: string, outDir: string, opts: { dropPinFlags?: boolean } = {}): { file: string; entry: AgentPackage } {
  const name = `holdfast-agent-${version}`;
  const work = path.join(outDir, `.build-${version}`);
  rmSync(work, { recursive: true, force: true });
  const top = path.join(work, name);
  mkdirSync(path.join(top, "bin"), { recursive: true });
  const launcher = opts.dropPinFlags ? LAUNCHER.replace("exec ", `${DROP_PIN_FLAGS}exec `) : LAUNCHER;
  writeFileSync(path.join(top, "bin/holdfast-agent"), launcher, { mode: 0o755 });
  mkdirSync(path.join(top, "node/bin"), { recursive: true });
  copyFileSync(process.execPath, path.join(top, "node/bin/node"));
  chmodSync(path.join(top, "node/bin/node"), 0o755);
  const app = path.join(top, "app");
  for (const pkg of ["agent", "shared"]) {
    mkdirSync(path.join(app, pkg), { recursive: true });
    for (const part of ["package.json", "dist", ...(pkg === "agent" ? ["bin"] : [])]) cpSync(path.join(ROOT, pkg, part), path.join(app, pkg, part), { recursive: true });
  }
  mkdirSync(path.join(app, "node_modules/@holdfast"), { recursive: true });
  symlinkSync("../../agent", path.join(app, "node_modules/@holdfast/agent"));
  symlinkSync("../../shared", path.join(app, "node_modules/@holdfast/shared"));
  const deps = execFileSync("npm", ["ls", "--omit=dev", "--workspace", "agent", "--parseable", "--all"], { cwd: ROOT, encoding: "utf8", maxBuffer: 16 << 20 });
  for (const dir of deps.split("\n").filter(Boolean)) {
    const rel = path.relative(ROOT, dir);
    if (!rel || rel.startsWith("..") || rel.startsWith("node_modules/@holdfast/") || !rel.startsWith("node_modules/")) continue;
    cpSync(dir, path.join(app, rel), { recursive: true });
  }
  mkdirSync(path.join(top, "share"));
  for (const unit of ["holdfast-agent.service", "holdfast-agent-upgrade.service", "holdfast-agent-upgrade.path"]) copyFileSync(path.join(ROOT, "install", unit), path.join(top, "share", unit));
  writeFileSync(path.join(top, "VERSION"), `${version}\n`);
  const file = path.join(outDir, `${name}-linux-x64.tar.gz`);
  execFileSync("tar", ["-czf", file, "--owner=0", "--group=0", "-C", work, name], { stdio: "ignore" });
  rmSync(work, { recursive: true, force: true });
  return { file, entry: describePackage(file) };
}

/** The manifest entry of a package file (its SHA-256 and size as the install script checks them). */
export function describePackage(file: string): AgentPackage {
  return {
    os: "linux",
    arch: "x64",
    url: `/install/packages/${path.basename(file)}`,
    sha256: createHash("sha256").update(readFileSync(file)).digest("hex"),
    size: statSync(file).size,
    nodeVersion: process.versions.node,
  };
}

export function manifestFor(version: string, packages: AgentPackage[]): InstallManifest {
  return { version, protocolVersion: 1, packages };
}
