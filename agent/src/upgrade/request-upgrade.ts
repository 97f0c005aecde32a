import fs from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { type AgentPackage, HoldfastError, InstallManifest, validationError } from "@holdfast/shared";
import { fetchFromControlPlane, type UpgradeSource } from "./fetch-from-control-plane.js";
import { requestFile, type UpgradeRequest, upgradeDir, verifyPackage } from "./package-file.js";

type Source = UpgradeSource;

export type UpgradeCheck = { current: string; available: string; package: AgentPackage | null };

/** The control plane's manifest, parsed; the package for this host's architecture if it has one. */
export async function checkForUpgrade(source: Source, current: string, arch: string = process.arch): Promise<UpgradeCheck> {
  const res = await fetchFromControlPlane(source, "/install/manifest.json", 30_000);
  if (!res.ok) throw new HoldfastError("PRECONDITION_FAILED", `The control plane answered ${res.status} for /install/manifest.json: has it agent packages (npm run package:agent)?`, { status: res.status });
  const parsed = InstallManifest.safeParse(await res.json());
  if (!parsed.success) throw validationError(parsed.error, "install manifest");
  const pkg = parsed.data.packages.find((p) => p.os === "linux" && p.arch === arch) ?? null;
  return { current, available: parsed.data.version, package: pkg };
}

/**
 * Run by the agent's own user: downloads the control plane's package when its version differs from
 * this one (the control plane's is the one that matches its protocol), verifies it against the
 * manifest, and writes the request holdfast-agent-upgrade.path hands to the root unit. Returns the
 * request, or null when already at that version.
 */
export async function requestUpgrade(opts: { dataDir: string; source: Source; current: string; now: Date; arch?: string }): Promise<UpgradeRequest | null> {
  const check = await checkForUpgrade(opts.source, opts.current, opts.arch);
  if (check.available === opts.current) return null;
  const pkg = check.package;
  if (!pkg) throw new HoldfastError("PRECONDITION_FAILED", `The control plane offers version ${check.available} but no package for linux-${opts.arch ?? process.arch}`);
  const dir = upgradeDir(opts.dataDir);
  await fs.promises.mkdir(dir, { recursive: true, mode: 0o700 });
  const file = path.basename(pkg.url);
  const target = path.join(dir, file);
  const partial = `${target}.part`;
  const res = await fetchFromControlPlane(opts.source, pkg.url, 15 * 60_000);
  if (!res.ok || !res.body) throw new HoldfastError("PRECONDITION_FAILED", `The control plane answered ${res.status} for ${pkg.url}`, { status: res.status });
  await pipeline(Readable.fromWeb(res.body as import("node:stream/web").ReadableStream), fs.createWriteStream(partial, { mode: 0o600 }));
  try {
    await verifyPackage(partial, pkg);
  } catch (err) {
    await fs.promises.rm(partial, { force: true });
    throw err;
  }
  await fs.promises.rename(partial, target);
  const request: UpgradeRequest = { version: check.available, file, sha256: pkg.sha256, size: pkg.size, requestedAt: opts.now.toISOString() };
  const tmp = `${requestFile(opts.dataDir)}.tmp`;
  await fs.promises.writeFile(tmp, `${JSON.stringify(request, null, 2)}\n`, { mode: 0o600 });
  await fs.promises.rename(tmp, requestFile(opts.dataDir));
  return request;
}
